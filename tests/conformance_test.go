package tests

import (
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Behaviours the OCI runtime spec requires with a MUST, each found missing
// by the runtime-tools validation suite (docs/conformance.md). These tests
// are our own: they keep the behaviour without needing that suite.

// A namespace path whose file is a namespace of another type must be an
// error. Joining it anyway is worst for "mount": the container would get
// no mount namespace of its own and pivot_root in the caller's.
func TestConformanceNamespacePathOfWrongType(t *testing.T) {
	needRoot(t)
	before, _ := os.Readlink("/proc/self/ns/mnt")
	for _, c := range []struct {
		typ        specs.LinuxNamespaceType
		file, kind string // the /proc/self/ns file given, and what it is
	}{
		{specs.MountNamespace, "net", "network"},
		{specs.CgroupNamespace, "ipc", "ipc"},
		{specs.NetworkNamespace, "pid", "pid"},
		{specs.UTSNamespace, "cgroup", "cgroup"},
		{specs.IPCNamespace, "mnt", "mount"},
	} {
		t.Run(string(c.typ), func(t *testing.T) {
			s := defaultSpec(t, "true")
			path := "/proc/self/ns/" + c.file
			nss := []specs.LinuxNamespace{{Type: c.typ, Path: path}}
			for _, ns := range s.Linux.Namespaces {
				if ns.Type != c.typ {
					nss = append(nss, ns)
				}
			}
			s.Linux.Namespaces = nss
			checkFailure(t, runSpec(t, s, ""), exitRunc, "join namespace", path, "is a "+c.kind+" namespace")
		})
	}
	s := defaultSpec(t, "true")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace, Path: "/etc/hostname"})
	checkFailure(t, runSpec(t, s, ""), exitRunc, "join namespace", "not a namespace file")
	if after, _ := os.Readlink("/proc/self/ns/mnt"); after != before {
		t.Fatalf("our mount namespace changed: %s -> %s", before, after)
	}
}

// linux.rootfsPropagation is the propagation of the container's own root:
// "shared" must make a mount under / show up in a bind of /, "private"
// and "slave" must not, and "unbindable" must refuse the bind. pivot_root
// refuses shared mounts, so "shared" once failed every start.
func TestConformanceRootfsPropagation(t *testing.T) {
	needRoot(t)
	script := `mount -o rbind / /home || { echo bind-refused; exit 0; }
mount -t tmpfs probe /run && touch /run/f
if [ -e /home/run/f ]; then echo exposed; else echo hidden; fi`
	for prop, want := range map[string]string{
		"shared": "exposed", "rshared": "exposed",
		"private": "hidden", "slave": "hidden", "rslave": "hidden",
		"unbindable": "bind-refused",
	} {
		t.Run(prop, func(t *testing.T) {
			s := defaultSpec(t, "sh", "-c", script)
			s.Linux.RootfsPropagation = prop
			s.Linux.Seccomp = nil // Docker's profile denies mount
			c := s.Process.Capabilities
			c.Bounding = append(c.Bounding, "CAP_SYS_ADMIN")
			c.Effective = append(c.Effective, "CAP_SYS_ADMIN")
			c.Permitted = append(c.Permitted, "CAP_SYS_ADMIN")
			r := runSpec(t, s, "")
			if r.code != 0 || r.stdout != want+"\n" {
				t.Fatalf("rootfsPropagation %s: %+v, want %q", prop, r, want)
			}
			if n := mountsUnder(t, rootfs); n != 0 {
				t.Fatalf("%d mounts left under the rootfs", n)
			}
		})
	}
}

// memory.swappiness and memory.disableOOMKiller were accepted and then
// not written. They exist only on cgroup v1 (v2 has no such files).
func TestConformanceMemorySwappinessAndOOMKiller(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.swappiness"); err != nil {
		t.Skip("needs a cgroup v1 memory hierarchy")
	}
	swappiness, yes := uint64(7), true
	s := defaultSpec(t, "sh", "-c", "cd /sys/fs/cgroup/memory; cat memory.swappiness; grep oom_kill_disable memory.oom_control")
	s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: &swappiness, DisableOOMKiller: &yes}}
	if r := runSpec(t, s, ""); r.code != 0 || r.stdout != "7\noom_kill_disable 1\n" {
		t.Fatalf("swappiness 7, OOM killer off: %+v", r)
	}
	swappiness = 101
	checkFailure(t, runSpec(t, s, ""), exitRunc, "memory.swappiness=101")
}

// A failed poststart or poststop hook is a warning, and "the remaining
// hooks and lifecycle continue as if the hook had succeeded": the hooks
// after it must still run, on `run` and on create/start/delete alike.
func TestConformanceHooksAfterAFailedPoststartOrPoststopRun(t *testing.T) {
	needRoot(t)
	fail := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 3"}}
	hooks := func(dir string) *specs.Hooks {
		return &specs.Hooks{
			Poststart: []specs.Hook{fail, recordHook(dir, "poststart")},
			Poststop:  []specs.Hook{fail, recordHook(dir, "poststop")},
		}
	}

	dir := t.TempDir()
	s := defaultSpec(t, "echo", "ran")
	s.Hooks = hooks(dir)
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "ran\n" || strings.Count(r.stderr, "warning") != 2 {
		t.Fatalf("run: %+v", r)
	}
	readHook(t, dir, "poststart")
	readHook(t, dir, "poststop")

	dir = t.TempDir()
	s = defaultSpec(t, "true")
	s.Hooks = hooks(dir)
	id, _ := createContainer(t, s)
	mr(t, "start", id)
	if st := readHook(t, dir, "poststart"); st.state.Status != specs.StateRunning {
		t.Errorf("poststart saw status %q", st.state.Status)
	}
	wantStatus(t, id, specs.StateStopped)
	mr(t, "delete", id)
	if st := readHook(t, dir, "poststop"); st.state.Status != specs.StateStopped {
		t.Errorf("poststop saw status %q", st.state.Status)
	}
}
