package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// A node in linux.devices is made, not granted: only linux.resources.devices
// and the fixed set every container has decide what may be opened, as in
// runc. These follow runc's own tests/integration/dev.bats.

// kmsgSpec is dev.bats's container: /dev/kmsg made from linux.devices,
// CAP_SYSLOG (so the kernel itself would let it be read and written) and
// the device rules given.
func kmsgSpec(t *testing.T, rules []specs.LinuxDeviceCgroup, args ...string) *specs.Spec {
	t.Helper()
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skipf("host has no /dev/kmsg: %v", err)
	}
	s := defaultSpec(t, args...)
	c := s.Process.Capabilities
	c.Bounding = append(c.Bounding, "CAP_SYSLOG")
	c.Effective = append(c.Effective, "CAP_SYSLOG")
	c.Permitted = append(c.Permitted, "CAP_SYSLOG")
	s.Linux.Resources = &specs.LinuxResources{Devices: rules}
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11}}
	return s
}

var denyAll = []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}

// dev.bats "runc run/update [device cgroup deny]": under deny-all, the
// listed /dev/kmsg can be neither written nor read, before and after an
// update.
func TestDeviceRulesListedDeviceNotGranted(t *testing.T) {
	needRoot(t)
	s := kmsgSpec(t, denyAll, "sleep", "100")
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	wantStatus(t, id, specs.StateRunning)

	probe := func(when string) {
		t.Helper()
		r := runMinirun(t, "", "exec", id, "sh", "-c", "hostname | tee /dev/kmsg")
		if r.code != 1 || !strings.Contains(r.stderr, "Operation not permitted") {
			t.Errorf("%s: write /dev/kmsg: want exit 1 with EPERM, got %+v", when, r)
		}
		r = runMinirun(t, "", "exec", id, "sh", "-c", "head -n 1 /dev/kmsg")
		if r.code != 1 || !strings.Contains(r.stderr, "Operation not permitted") {
			t.Errorf("%s: read /dev/kmsg: want exit 1 with EPERM, got %+v", when, r)
		}
	}
	probe("after run")
	// The v1 devices controller holds the list the kernel goes by.
	if list, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/devices/minirun", id, "devices.list")); err == nil {
		if strings.Contains(string(list), "c 1:11 ") {
			t.Errorf("devices.list allows /dev/kmsg:\n%s", list)
		}
	}
	if r := runMinirun(t, "", "update", "--pids-limit", "42", id); r.code != 0 {
		t.Fatalf("update --pids-limit 42: %+v", r)
	}
	probe("after update")
}

// dev.bats "runc run [device cgroup allow rw char device]": an explicit
// allow rule is what grants the listed node.
func TestDeviceRulesListedDeviceWithAllowRule(t *testing.T) {
	needRoot(t)
	c, major, minor := "c", int64(1), int64(11)
	rules := append(append([]specs.LinuxDeviceCgroup{}, denyAll...),
		specs.LinuxDeviceCgroup{Allow: true, Type: c, Major: &major, Minor: &minor, Access: "rw"})
	s := kmsgSpec(t, rules, "sh", "-c", "head -n 1 /dev/kmsg >/dev/null && echo read ok; echo minirun devicerules test | tee /dev/kmsg >/dev/null && echo write ok")
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "read ok\nwrite ok\n" {
		t.Fatalf("want /dev/kmsg read and written under its allow rule, got %+v", r)
	}
}

// The fixed set (runc's AllowedDevices) holds under deny-all whatever the
// config lists: the default nodes and /dev/ptmx open, /dev/tty fails only
// for want of a terminal, mknod of any node is allowed, and a node outside
// the set, made by mknod or listed in linux.devices, is refused.
func TestDeviceRulesDefaultSetUnderDenyAll(t *testing.T) {
	needRoot(t)
	requireHostDevices(t)
	script := `mknod /dev/n13 c 1 3 || echo "mknod c failed"
mknod /dev/l0 b 7 0 || echo "mknod b failed"
mknod /dev/rng c 10 183 || echo "mknod rng failed"
for f in "$@"; do
	if msg=$( (: <"$f") 2>&1 ); then echo "$f ok"; else echo "$f $msg"; fi
done`
	paths := []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/n13", "/dev/tty", "/dev/l0", "/dev/rng", "/dev/hostrng"}
	s := defaultSpec(t, append([]string{"sh", "-c", script, "probe"}, paths...)...)
	s.Linux.Resources = &specs.LinuxResources{Devices: denyAll}
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/hostrng", Type: "c", Major: 10, Minor: 183}}
	r := runSpec(t, s, "")
	if r.code != 0 {
		t.Fatalf("probe: %+v", r)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f, rest, _ := strings.Cut(line, " ")
		got[f] = rest
	}
	if strings.Contains(r.stdout, "mknod") {
		t.Errorf("mknod must be allowed by the fixed set: %q", r.stdout)
	}
	for _, f := range paths[:7] {
		if got[f] != "ok" {
			t.Errorf("%s: want it to open, got %q", f, got[f])
		}
	}
	if v := got["/dev/tty"]; v == "" || strings.Contains(v, "Operation not permitted") {
		t.Errorf("/dev/tty: want ENXIO (no terminal), not EPERM: %q", v)
	}
	for _, f := range paths[8:] {
		if !strings.Contains(got[f], "Operation not permitted") {
			t.Errorf("%s: want EPERM from the device cgroup, got %q", f, got[f])
		}
	}
}
