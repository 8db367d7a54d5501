package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The per-task attributes of runtime-spec 1.1 to 1.3, each read back from
// inside the container.

func TestSchedulerAndIOPriority(t *testing.T) {
	needRoot(t)
	const ioprioGet = "252" // x86_64
	s := probeSpec(t)
	s.Process.Args = []string{"sh", "-c", "grep -E '^policy' /proc/self/sched | tr -d ' '; cut -d' ' -f19 /proc/self/stat; /bin/probe sys " + ioprioGet + " 1 0"}
	s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 7}
	s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}
	r := runSpec(t, s, "")
	// SCHED_BATCH is 3; the I/O priority reads back as class<<13 | level.
	if r.code != 0 || r.stdout != "policy:3\n7\nok 16390\n" {
		t.Fatalf("scheduler and I/O priority: %+v", r)
	}
}

func TestPersonalityLinux32(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "uname", "-m")
	s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	if r := runSpec(t, s, ""); r.code != 0 || r.stdout != "i686\n" {
		t.Fatalf("uname -m under LINUX32: %+v", r)
	}
}

func TestMemoryPolicy(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/sys/devices/system/node/node0"); err != nil {
		t.Skip("host has no NUMA node 0")
	}
	for _, tc := range []struct {
		mode specs.MemoryPolicyModeType
		want string
	}{{specs.MpolBind, " bind:0 "}, {specs.MpolInterleave, " interleave:0 "}} {
		s := defaultSpec(t, "head", "-1", "/proc/self/numa_maps")
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: tc.mode, Nodes: "0"}
		r := runSpec(t, s, "")
		if r.code != 0 {
			t.Fatalf("%s: %+v", tc.mode, r)
		}
		mustContain(t, string(tc.mode)+" numa_maps", r.stdout, tc.want)
	}
}

func TestExecCPUAffinity(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sleep", "100")
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	wantStatus(t, id, specs.StateRunning)
	p := *s.Process
	p.Args = []string{"grep", "Cpus_allowed_list", "/proc/self/status"}
	p.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "0"}
	data, _ := jsonMarshal(&p)
	file := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(file, data, 0o644)
	r := runMinirun(t, "", "exec", "--process", file, id)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "Cpus_allowed_list:\t0" {
		t.Fatalf("exec with execCPUAffinity 0: %+v", r)
	}
}

func TestProcAttrsValidated(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		edit func(*specs.Spec)
		want string
	}{
		{func(s *specs.Spec) { s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_FAST"} }, `process.scheduler.policy "SCHED_FAST": unknown`},
		{func(s *specs.Spec) { s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedFIFO} }, "SCHED_FIFO needs 1..99"},
		{func(s *specs.Spec) {
			s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 9}
		}, "process.ioPriority.priority 9: outside 0..7"},
		{func(s *specs.Spec) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "LINUX64"} }, `linux.personality.domain "LINUX64"`},
		{func(s *specs.Spec) { s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind} }, "MPOL_BIND needs nodes"},
		{func(s *specs.Spec) { s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "x"} }, "linux.memoryPolicy.nodes"},
		{func(s *specs.Spec) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "3-1"} }, "process.execCPUAffinity.final"},
	} {
		s := defaultSpec(t, "true")
		tc.edit(s)
		checkFailure(t, runSpec(t, s, ""), exitRunc, "validate config", tc.want)
	}
}

// A Go init must not run under the container's soft limits: with an
// address-space limit of 1 GiB and a 9 GiB stack, its own threads could
// not start. The soft limits are set last, and the container sees them.
func TestRlimitsSetLastBeforeExec(t *testing.T) {
	needRoot(t)
	for _, nnp := range []bool{false, true} {
		s := defaultSpec(t, "sh", "-c", "ulimit -v; ulimit -s")
		s.Process.NoNewPrivileges = nnp
		s.Process.Rlimits = append(s.Process.Rlimits,
			specs.POSIXRlimit{Type: "RLIMIT_AS", Soft: 1 << 30, Hard: 1 << 30},
			specs.POSIXRlimit{Type: "RLIMIT_STACK", Soft: 9 << 30, Hard: 9 << 30})
		for i := 0; i < 3; i++ {
			r := runSpec(t, s, "")
			if r.code != 0 || r.stdout != "1048576\n9437184\n" {
				t.Fatalf("no_new_privs=%v, run %d: %+v", nnp, i, r)
			}
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// A field minirun does not implement is refused by name, never dropped.
func TestUnsupportedFieldsRefused(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		edit func(*specs.Spec)
		want string
	}{
		{func(s *specs.Spec) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "x"} }, "linux.intelRdt: not supported: the host has no resctrl"},
		{func(s *specs.Spec) { s.Windows = &specs.Windows{} }, "windows: not supported"},
	} {
		s := defaultSpec(t, "true")
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		tc.edit(s)
		checkFailure(t, runSpec(t, s, ""), exitRunc, "validate config", tc.want)
	}
}

// linux.netDevices moves a host interface into the container, renamed.
// The "host" is a network namespace made for the test, with a veth pair
// in it, so nothing of the real host's network changes.
func TestNetDevicesMovedAndRenamed(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	s := defaultSpec(t, "sh", "-c", "ip -o link show ctr0 | cut -d' ' -f2 | cut -d@ -f1; ip -o link show mr-veth0 2>/dev/null | wc -l")
	s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"mr-veth0": {Name: "ctr0"}}
	bundle := writeBundle(t, s)
	script := `ip link add mr-veth0 type veth peer name mr-veth1 && "$0" run -b "$1" "$2" && { ip -o link show mr-veth0 >/dev/null 2>&1 && echo still-on-host || echo gone-from-host; }`
	out, err := exec.Command("unshare", "--net", "sh", "-c", script, minirun, bundle, containerID(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("run with netDevices: %v: %s", err, out)
	}
	// Inside: the device as ctr0, none under the host name. Outside, a
	// veth goes with the container's namespace.
	if string(out) != "ctr0\n0\ngone-from-host\n" {
		t.Fatalf("netDevices: %q", out)
	}
	s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"mr-nosuch0": {}}
	checkFailure(t, runSpec(t, s, ""), exitRunc, "validate config", `linux.netDevices["mr-nosuch0"]: no such interface on the host`)
}

// An idmapped bind shows a host directory with its owners shifted, and
// changes nothing on the host.
func TestIdmappedMount(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := defaultSpec(t, "sh", "-c", "stat -c %u:%g /idm/f /plain/f")
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/idm", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}, UIDMappings: m, GIDMappings: m},
		specs.Mount{Destination: "/plain", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}})
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "1000:1000\n0:0\n" {
		t.Fatalf("idmapped bind: %+v", r)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(f, &st); err != nil || st.Uid != 0 || st.Gid != 0 {
		t.Fatalf("the host file changed owner: %+v %v", st, err)
	}
	// "idmap" on a mount that is not a bind, or with no mapping anywhere.
	bad := defaultSpec(t, "true")
	bad.Mounts = append(bad.Mounts, specs.Mount{Destination: "/idm", Type: "bind", Source: dir, Options: []string{"bind", "idmap"}})
	checkFailure(t, runSpec(t, bad, ""), exitRunc, "validate config", "needs uidMappings and gidMappings")
}

// In a container with a user namespace, "idmap" with no mappings of its
// own takes the container's: host root's files show as the container's
// root, where without it they would be nobody's.
func TestIdmappedMountInUserNamespace(t *testing.T) {
	needRoot(t)
	// Under workDir: the namespace's root (host uid 100000) must be able to
	// reach the plain bind's source, and t.TempDir's parent is 0700.
	dir, err := os.MkdirTemp(workDir, "idmap-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The mountpoints must be there: the namespace's root can't make them
	// in a rootfs host root owns.
	for _, mp := range []string{"idm", "plain"} {
		p := filepath.Join(rootfs, mp)
		if os.Mkdir(p, 0o755) == nil {
			t.Cleanup(func() { os.Remove(p) })
		}
	}
	s := defaultSpec(t, "sh", "-c", "stat -c %U /idm/f /plain/f")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/idm", Type: "bind", Source: dir, Options: []string{"rbind", "idmap"}},
		specs.Mount{Destination: "/plain", Type: "bind", Source: dir, Options: []string{"rbind"}})
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "root\nnobody\n" {
		t.Fatalf("idmapped bind in a user namespace: %+v", r)
	}
}

// On a host without SELinux a label applies to nothing: the container
// runs, as with runc, and minirun says the label was ignored.
func TestSELinuxLabelWithoutSELinux(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/sys/fs/selinux/enforce"); err == nil {
		t.Skip("this host has SELinux: the label is refused there")
	}
	s := defaultSpec(t, "echo", "ran")
	s.Linux.MountLabel = "system_u:object_r:container_file_t:s0"
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("%+v", r)
	}
	mustContain(t, "warning", r.stderr, `linux.mountLabel "system_u:object_r:container_file_t:s0" ignored: this host has no SELinux`)
}
