package cgroups

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func devRule(allow bool, typ string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: major, Minor: minor, Access: access}
}

func TestV1DeviceSettings(t *testing.T) {
	rules, err := parseDeviceRules([]specs.LinuxDeviceCgroup{
		{Allow: false},                             // bare deny: everything
		devRule(true, "c", i64(-1), nil, "m"),      // mknod of any char device
		devRule(true, "c", i64(1), i64(3), "wrmr"), // letters reordered, once each
		devRule(true, "c", i64(136), i64(-1), ""),  // empty access is rwm
		devRule(false, "a", i64(10), nil, "r"),     // "a" narrowed: split in c and b
		devRule(true, "a", nil, nil, "rwm"),        // allow all
	})
	if err != nil {
		t.Fatal(err)
	}
	got := v1DeviceSettings(rules)
	want := []setting{
		{"devices", "devices.deny", "a"},
		{"devices", "devices.allow", "c *:* m"},
		{"devices", "devices.allow", "c 1:3 rwm"},
		{"devices", "devices.allow", "c 136:* rwm"},
		{"devices", "devices.deny", "c 10:* r"},
		{"devices", "devices.deny", "b 10:* r"},
		{"devices", "devices.allow", "a"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v1DeviceSettings:\n got %v\nwant %v", got, want)
	}
}

func TestParseDeviceRulesRejects(t *testing.T) {
	for _, tc := range []struct {
		rule specs.LinuxDeviceCgroup
		want string
	}{
		{devRule(true, "x", nil, nil, "rwm"), `devices[0]: type "x"`},
		{devRule(true, "u", nil, nil, "rwm"), `devices[0]: type "u"`},
		{devRule(true, "c", nil, nil, "x"), `devices[0]: access "x"`},
		{devRule(false, "c", nil, nil, "a"), `devices[0]: access "a"`},
		{devRule(true, "c", i64(-2), nil, "r"), `devices[0]: major -2`},
		{devRule(true, "c", nil, i64(1<<32), "r"), `devices[0]: minor 4294967296`},
	} {
		err := CheckDevices([]specs.LinuxDeviceCgroup{tc.rule})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: got %v, want one line with %q matching ErrInvalid", tc.rule, err, tc.want)
		}
	}
	// Set must refuse them before it writes anything: validate runs first.
	if err := validate(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{devRule(true, "x", nil, nil, "")}}, topology{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("validate: got %v, want ErrInvalid", err)
	}
}

func TestV2DeviceRules(t *testing.T) {
	rules, _ := parseDeviceRules([]specs.LinuxDeviceCgroup{devRule(false, "c", i64(1), i64(3), "rwm")})
	got := v2DeviceRules(rules)
	// v2's filter denies what no rule matches; v1 would inherit "allow all".
	if len(got) != 2 || !got[0].Allow || got[0].Type != "a" || *got[0].Major != -1 || got[0].Access != "rwm" {
		t.Fatalf("without a wildcard rule: got %+v, want allow-all first", got)
	}
	rules, _ = parseDeviceRules([]specs.LinuxDeviceCgroup{{Allow: false}, devRule(true, "c", i64(1), i64(3), "rwm")})
	got = v2DeviceRules(rules)
	if len(got) != 2 || got[0].Allow || got[0].Type != "a" || *got[1].Major != 1 || *got[1].Minor != 3 {
		t.Fatalf("with deny-all: got %+v", got)
	}
}

// The v2 filter works wherever a cgroup2 mount is, the hybrid host's
// .../unified included: the kernel runs BPF_CGROUP_DEVICE programs for the
// task's cgroup2 membership, whatever the v1 controllers say.
func TestV2DeviceFilter(t *testing.T) {
	mount := v2TestMount(t)
	parent := fmt.Sprintf("/minirun-unit-dev-%d", os.Getpid())
	path := parent + "/c1"
	mgr, err := newV2(mount, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = removeTree(filepath.Join(mount, parent)) })
	err = mgr.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false}, devRule(true, "c", i64(1), i64(3), "rwm"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.Open(filepath.Join(mount, path))
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	cmd := exec.Command("sh", "-c", `for f in /dev/null /dev/zero; do if (: <$f) 2>/dev/null; then echo "$f ok"; else echo "$f denied"; fi; done`)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		t.Skipf("clone into cgroup unsupported: %v", err)
	}
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := string(out); got != "/dev/null ok\n/dev/zero denied\n" {
		t.Fatalf("in the filtered cgroup: %q", got)
	}
}

// runc applies "rwa" (update.bats) and any other letters beside r, w and m
// without the others; so does minirun, in canonical order, and the config
// check names what was left out.
func TestDeviceAccessUnknownLetters(t *testing.T) {
	rules := []specs.LinuxDeviceCgroup{
		devRule(false, "", nil, nil, "rwm"),
		devRule(false, "c", i64(1), i64(11), "rwa"),
		devRule(true, "c", i64(1), i64(3), "wamr"),
		devRule(true, "b", i64(8), i64(0), "read"),
	}
	got, err := parseDeviceRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	var access []string
	for _, r := range got {
		access = append(access, r.access)
	}
	if want := []string{"rwm", "rw", "rwm", "r"}; !reflect.DeepEqual(access, want) {
		t.Errorf("access %v, want %v", access, want)
	}
	v1 := v1DeviceSettings(got)
	if v1[1] != (setting{"devices", "devices.deny", "c 1:11 rw"}) {
		t.Errorf("v1 writes %v for the rwa rule", v1[1])
	}
	notes := IgnoredDeviceAccess(rules)
	if len(notes) != 3 || !strings.Contains(notes[0], `devices[1]: access "rwa": "a" ignored`) || !strings.Contains(notes[2], `"ead" ignored`) {
		t.Errorf("notes %q", notes)
	}
}
