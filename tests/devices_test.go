package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deviceProbe makes a loop block device (b 7 0) and the hardware RNG
// (c 10 183) with mknod, then opens each path for reading and prints
// "PATH ok" or "PATH <shell error>". Both nodes open on this host when no
// device cgroup stands in the way (the review's escape).
const deviceProbe = `mknod /dev/l0 b 7 0 || echo "mknod b failed"
mknod /dev/rng c 10 183 || echo "mknod c failed"
for f in "$@"; do
	if msg=$( (: <"$f") 2>&1 ); then echo "$f ok"; else echo "$f $msg"; fi
done`

// allowedDevices are Docker's default nodes; /dev/tty has no controlling
// terminal here, so it may fail, but never with EPERM.
var allowedDevices = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/tty"}

// checkDeviceProbe reads deviceProbe's output: denied paths must fail
// with EPERM, the others must open (or, for /dev/tty, fail otherwise).
func checkDeviceProbe(t *testing.T, r result, denied []string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("probe: exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f, rest, _ := strings.Cut(line, " ")
		got[f] = rest
	}
	if strings.Contains(r.stdout, "mknod") {
		t.Errorf("mknod must stay allowed (Docker allows c/b *:* m): %q", r.stdout)
	}
	for _, f := range denied {
		if !strings.Contains(got[f], "Operation not permitted") {
			t.Errorf("%s: want EPERM from the device cgroup, got %q", f, got[f])
		}
	}
	for _, f := range allowedDevices {
		if f == "/dev/tty" {
			if strings.Contains(got[f], "Operation not permitted") || got[f] == "" {
				t.Errorf("%s: %q", f, got[f])
			}
			continue
		}
		if got[f] != "ok" {
			t.Errorf("%s: want it to open, got %q", f, got[f])
		}
	}
}

// plantDevices makes a block and a char node in a private rootfs, as an
// image layer could ship them, and returns their paths in the container.
func plantDevices(t *testing.T, root string) []string {
	t.Helper()
	nodes := []struct {
		name string
		mode uint32
		dev  int
	}{
		{"planted-loop", unix.S_IFBLK | 0o600, int(unix.Mkdev(7, 0))},
		{"planted-rng", unix.S_IFCHR | 0o600, int(unix.Mkdev(10, 183))},
	}
	var out []string
	for _, n := range nodes {
		if err := unix.Mknod(filepath.Join(root, n.name), n.mode, n.dev); err != nil {
			t.Fatalf("plant %s: %v", n.name, err)
		}
		out = append(out, "/"+n.name)
	}
	return out
}

// The default spec (`minirun spec`, Docker's caps with CAP_MKNOD) must not
// let a container open devices it makes or finds in its rootfs.
func TestDeviceCgroupDefaultSpec(t *testing.T) {
	needRoot(t)
	requireHostDevices(t)
	root := privateRootfs(t)
	planted := plantDevices(t, root)
	paths := append([]string{"/dev/l0", "/dev/rng"}, planted...)
	s := defaultSpec(t, append([]string{"sh", "-c", deviceProbe, "probe"}, append(append([]string{}, paths...), allowedDevices...)...)...)
	s.Root.Path = root
	checkDeviceProbe(t, runSpec(t, s, ""), paths)
}

// A rule list without any allow still lets the runtime's own nodes work,
// but a node in linux.devices is only made: opening it needs a rule of
// its own in linux.resources.devices, as in runc. Engines that pass a
// device list that rule themselves.
func TestDeviceCgroupCreatedDevicesNeedARule(t *testing.T) {
	needRoot(t)
	requireHostDevices(t)
	s := defaultSpec(t, "sh", "-c", `ls -ln /dev/hostrng /dev/l0 | cut -c1; for f in /dev/null /dev/zero /dev/urandom /dev/hostrng /dev/l0; do
	if msg=$( (: <"$f") 2>&1 ); then echo "$f ok"; else echo "$f $msg"; fi
done`)
	s.Linux.Resources = &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}
	mode := os.FileMode(0o600)
	s.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/hostrng", Type: "c", Major: 10, Minor: 183, FileMode: &mode},
		{Path: "/dev/l0", Type: "b", Major: 7, Minor: 0, FileMode: &mode},
	}
	r := runSpec(t, s, "")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "c\nb\n/dev/null ok\n/dev/zero ok\n/dev/urandom ok\n") {
		t.Fatalf("want both nodes made and the default ones open, got %+v", r)
	}
	for _, f := range []string{"/dev/hostrng", "/dev/l0"} {
		mustContain(t, f, r.stdout, "can't open "+f+": Operation not permitted")
	}
}

// The Docker front gets the same rules, and --privileged lifts them.
func TestDeviceCgroupDocker(t *testing.T) {
	needRoot(t)
	requireHostDevices(t)
	args := append([]string{"--rm", "alpine", "sh", "-c", deviceProbe, "probe", "/dev/l0", "/dev/rng"}, allowedDevices...)
	checkDeviceProbe(t, dockerRun(t, "", args...), []string{"/dev/l0", "/dev/rng"})

	r := dockerRun(t, "", "--rm", "--privileged", "alpine", "sh", "-c", deviceProbe, "probe", "/dev/l0", "/dev/rng")
	if r.code != 0 || r.stdout != "/dev/l0 ok\n/dev/rng ok\n" {
		t.Fatalf("--privileged: %+v", r)
	}
}

// A malformed rule is refused before anything is made.
func TestDeviceCgroupRejectsMalformedRules(t *testing.T) {
	needRoot(t)
	i := func(v int64) *int64 { return &v }
	for name, rule := range map[string]specs.LinuxDeviceCgroup{
		"type":   {Allow: true, Type: "x", Major: i(1), Minor: i(3), Access: "rwm"},
		"access": {Allow: true, Type: "c", Major: i(1), Minor: i(3), Access: "x"},
		"major":  {Allow: true, Type: "c", Major: i(-2), Minor: i(3), Access: "rwm"},
	} {
		t.Run(name, func(t *testing.T) {
			s := defaultSpec(t, "echo", "ran")
			var devs []specs.LinuxDeviceCgroup
			if s.Linux.Resources != nil {
				devs = s.Linux.Resources.Devices
			}
			s.Linux.Resources = &specs.LinuxResources{Devices: append(devs, rule)}
			r := runSpec(t, s, "")
			checkFailure(t, r, exitRunc, "linux.resources.devices", name)
			if left := cgroupDirs("/minirun/" + containerID(t)); len(left) > 0 {
				t.Errorf("cgroups left behind: %v", left)
			}
		})
	}
}

// A config with no device rules at all (the OCI validation suite's, a
// hand-written one) must not inherit the parent cgroup's "a *:* rwm":
// the runtime always starts from deny-all, as runc does.
func TestDeviceCgroupWithoutRulesDeniesAll(t *testing.T) {
	needRoot(t)
	requireHostDevices(t)
	root := privateRootfs(t)
	planted := plantDevices(t, root)
	s := defaultSpec(t, append([]string{"sh", "-c", `for f in "$@"; do
	if msg=$( (: <"$f") 2>&1 ); then echo "$f ok"; else echo "$f $msg"; fi
done`, "probe"}, append(append([]string{}, planted...), "/dev/null", "/dev/zero", "/dev/urandom")...)...)
	s.Root.Path = root
	s.Linux.Resources = nil
	r := runSpec(t, s, "")
	if r.code != 0 {
		t.Fatalf("probe: %+v", r)
	}
	for _, f := range planted {
		mustContain(t, "planted "+f, r.stdout, "can't open "+f+": Operation not permitted")
	}
	for _, f := range []string{"/dev/null", "/dev/zero", "/dev/urandom"} {
		mustContain(t, f, r.stdout, f+" ok")
	}
}

// linux.devices nodes get exactly the mode and owner asked for (0666
// despite the caller's umask), in /dev and in directories made for them, and two
// nodes sharing a directory both land in it (the init opens each
// directory once for all of a start's nodes).
func TestDeviceNodesModeOwnerAndDirectories(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", `for f in /dev/net/tun /dev/net/tap0 /dev/extra; do stat -c "%n %a %u %g %F" "$f"; done`)
	m640, m600 := os.FileMode(0o640), os.FileMode(0o600)
	u, g, zero := uint32(1000), uint32(1001), uint32(0)
	s.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/net/tun", Type: "c", Major: 10, Minor: 200, FileMode: &m640, UID: &u, GID: &g},
		{Path: "/dev/net/tap0", Type: "c", Major: 1, Minor: 3, FileMode: &m600, UID: &zero, GID: &g},
		{Path: "/dev/extra", Type: "c", Major: 1, Minor: 5},
	}
	r := runSpec(t, s, "")
	want := "/dev/net/tun 640 1000 1001 character special file\n" +
		"/dev/net/tap0 600 0 1001 character special file\n" +
		"/dev/extra 666 0 0 character special file\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("want\n%s\ngot %+v", want, r)
	}
}
