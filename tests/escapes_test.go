package tests

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	mrootfs "github.com/minirun/minirun/rootfs"
)

// A state whose pid is 0 (every create has one for a moment, and a create
// that crashed keeps it) must never reach kill(2): kill(0, sig) signals the
// caller's own process group.
func TestKillNeverSignalsPidZero(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	id := "planted"
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	planted := `{"ociVersion":"1.2.0","id":"planted","status":"creating","pid":0,"bundle":"/nonexistent","created":"2026-12-01T00:00:00Z"}`
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(planted), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"kill", id, "TERM"}, {"kill", "--all", id, "TERM"}} {
		cmd := exec.Command(minirun, append([]string{"--root", root}, args...)...)
		// In a process group of its own, as under setsid: kill(0) would
		// hit minirun itself and nothing else.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok && err != nil {
			t.Fatal(err)
		}
		if ee != nil {
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
				t.Fatalf("minirun %v was killed by its own %v", args, ws.Signal())
			}
		}
		if args[1] != "--all" && (ee == nil || ee.ExitCode() == 0) {
			t.Fatalf("minirun %v on a pid-0 state succeeded: %s", args, errb.String())
		}
	}
}

// The /proc check judges where a mount lands after symlinks in the image
// are followed: /myvol -> /proc must not let a host directory replace the
// container's procfs, nor a tmpfs hide /proc/sys.
func TestProcReplacedThroughSymlinkIsRefused(t *testing.T) {
	needRoot(t)
	root := privateRootfs(t)
	if err := os.Symlink("/proc", filepath.Join(root, "myvol")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/sys", filepath.Join(root, "sysvol")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m    specs.Mount
		want string
	}{
		{specs.Mount{Destination: "/myvol", Type: "bind", Source: t.TempDir(), Options: []string{"rbind"}}, "only a real procfs may be mounted on /proc"},
		{specs.Mount{Destination: "/sysvol", Type: "tmpfs", Source: "tmpfs"}, "nothing may be mounted inside /proc"},
		{specs.Mount{Destination: "/proc/sys/kernel", Type: "tmpfs", Source: "tmpfs"}, "nothing may be mounted inside /proc"},
	} {
		s := defaultSpec(t, "true")
		s.Root.Path = root
		s.Mounts = append(s.Mounts, tc.m)
		checkFailure(t, runSpec(t, s, ""), exitRunc, "mount "+tc.m.Destination, tc.want)
	}
	// The same through a root path that is itself a symlink (as /var/run
	// is on Debian): the check compares resolved paths on both sides.
	link := filepath.Join(t.TempDir(), "rootfs-link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	s := defaultSpec(t, "true")
	s.Root.Path = link
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/myvol", Type: "bind", Source: t.TempDir(), Options: []string{"rbind"}})
	checkFailure(t, runSpec(t, s, ""), exitRunc, "mount /myvol", "only a real procfs may be mounted on /proc")
	// An lxcfs-style bind of one file is what engines do, and stays allowed.
	src := filepath.Join(t.TempDir(), "uptime")
	os.WriteFile(src, []byte("1.00 1.00\n"), 0o644)
	s = defaultSpec(t, "cat", "/proc/uptime")
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc/uptime", Type: "bind", Source: src, Options: []string{"bind", "ro"}})
	if r := runSpec(t, s, ""); r.code != 0 || r.stdout != "1.00 1.00\n" {
		t.Fatalf("lxcfs-style bind over /proc/uptime: %+v", r)
	}
}

// Only sysctls that the container's own namespaces scope may be set: the
// init writes them as host root, so kernel.core_pattern would be the host's.
func TestSysctlsMustBeNamespaced(t *testing.T) {
	needRoot(t)
	hostCore, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	for _, tc := range []struct {
		key  string
		edit func(*specs.Spec)
		want string
	}{
		{"kernel.core_pattern", nil, "not namespaced"},
		{"kernel.modprobe", nil, "not namespaced"},
		{"vm.overcommit_memory", nil, "not namespaced"},
		{"net.ipv4.ip_forward", func(s *specs.Spec) { dropNamespace(s, specs.NetworkNamespace) }, "needs a network namespace"},
		{"kernel.shmmax", func(s *specs.Spec) { dropNamespace(s, specs.IPCNamespace) }, "needs a ipc namespace"},
		{"net.ipv4.ip_forward", func(s *specs.Spec) {
			dropNamespace(s, specs.NetworkNamespace)
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"})
		}, "is the host's"},
		{"../../etc/x", nil, "bad key"},
	} {
		s := defaultSpec(t, "true")
		if tc.edit != nil {
			tc.edit(s)
		}
		s.Linux.Sysctl = map[string]string{tc.key: "1"}
		checkFailure(t, runSpec(t, s, ""), exitRunc, "validate config", tc.key, tc.want)
	}
	if now, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); !bytes.Equal(now, hostCore) {
		os.WriteFile("/proc/sys/kernel/core_pattern", hostCore, 0o644)
		t.Fatalf("the host's kernel.core_pattern changed from %q to %q (restored)", hostCore, now)
	}
	// Namespaced ones still reach the container.
	s := defaultSpec(t, "cat", "/proc/sys/kernel/shmmni", "/proc/sys/net/ipv4/ip_forward")
	s.Linux.Sysctl = map[string]string{"kernel.shmmni": "1234", "net.ipv4.ip_forward": "1"}
	if r := runSpec(t, s, ""); r.code != 0 || r.stdout != "1234\n1\n" {
		t.Fatalf("namespaced sysctls: %+v", r)
	}
}

func dropNamespace(s *specs.Spec, typ specs.LinuxNamespaceType) {
	var keep []specs.LinuxNamespace
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != typ {
			keep = append(keep, ns)
		}
	}
	s.Linux.Namespaces = keep
}

// A sysctl write resolves its file beneath /proc without crossing a mount,
// so a bind planted over a /proc/sys file can't redirect a write that the
// runtime makes as host root (the class of runc's CVE-2025-52881). The
// write is tried by this test binary re-run in a mount namespace of its
// own (a thread of this process must not change namespace: its children
// would inherit it); the planted target is a temp file, so even a failure
// here writes nothing of the host's.
func TestSysctlWriteRefusesMountedOverFile(t *testing.T) {
	needRoot(t)
	if os.Getenv(childEnv) == "sysctl" {
		err := mrootfs.Sysctl("net.ipv4.ip_forward", "1")
		if !errors.Is(err, unix.EXDEV) {
			t.Fatalf("sysctl through a bind-mounted file: got %v, want EXDEV", err)
		}
		return
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	decoy := filepath.Join(t.TempDir(), "decoy")
	if err := os.WriteFile(decoy, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `mount --bind "$1" /proc/sys/net/ipv4/ip_forward && exec "$0" -test.run='^TestSysctlWriteRefusesMountedOverFile$' -test.count=1`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, os.Args[0], decoy)
	cmd.Env = append(os.Environ(), childEnv+"=sysctl")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if data, _ := os.ReadFile(decoy); string(data) != "0\n" {
		t.Fatalf("the write reached the planted file: %q", data)
	}
}

// exec --cap grants the capability to the process, never to its
// inheritable set (CVE-2022-29162), and the exec'd process gets the
// container's session keyring, not the caller's.
func TestExecCapsAndKeyring(t *testing.T) {
	needRoot(t)
	s := probeSpec(t)
	s.Process.Args = []string{"sh", "-c", "/bin/probe sys 250 0 -3 0 > /out/keyring; exec sleep 100"}
	s.Linux.Seccomp = nil // keyctl is denied by Docker's profile
	out := outDir(t, s)
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	initRing := waitFile(t, filepath.Join(out, "keyring"))

	r := runMinirun(t, "", "exec", "--cap", "CAP_SYS_TIME", id, "grep", "-E", "^Cap(Inh|Eff)", "/proc/self/status")
	if r.code != 0 {
		t.Fatalf("exec --cap: %+v", r)
	}
	mustContain(t, "exec status", r.stdout, "CapInh:\t0000000000000000")
	if !bytes.Contains([]byte(r.stdout), []byte("CapEff:\t00000000aa0425fb")) {
		t.Fatalf("exec --cap CAP_SYS_TIME: effective set not the default plus sys_time: %q", r.stdout)
	}
	// Joining "_ses.<id>" by name finds only keyrings the joiner may
	// search, and the init's is not one, so exec gets a fresh keyring of
	// that name (as with runc). What matters is that it is not ours.
	ours, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		t.Fatalf("our session keyring: %v", err)
	}
	r = runMinirun(t, "", "exec", id, "/bin/probe", "sys", "250", "0", "-3", "0")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok ") {
		t.Fatalf("exec: keyctl: %+v", r)
	}
	if mine := fmt.Sprintf("ok %d\n", ours); r.stdout == mine || initRing == mine {
		t.Fatalf("the container holds the caller's session keyring %d (init %q, exec %q)", ours, initRing, r.stdout)
	}
}

// The init is not dumpable until execve: a process exec'd into a created
// container (root, with the same capabilities) can't ptrace it while it
// waits for start with no seccomp filter yet.
func TestInitCannotBePtraced(t *testing.T) {
	needRoot(t)
	s := probeSpec(t, "true")
	s.Process.NoNewPrivileges = true // the filter goes in after the wait
	id, _ := createContainer(t, s)
	const ptrace, attach = "101", "16"
	r := runMinirun(t, "", "exec", id, "/bin/probe", "sys", ptrace, attach, "1")
	if r.code != 0 || r.stdout != "errno 1 (Operation not permitted)\n" {
		t.Fatalf("PTRACE_ATTACH to the waiting init: %+v, want EPERM", r)
	}
}

// On a cgroup2 host the container's cgroup mount shows its own cgroup, not
// the host's tree. This host is hybrid, so the test gives minirun a
// cgroup2 /sys/fs/cgroup in a mount namespace of its own; the hierarchy is
// the host's unified one, and the container's cgroup is made in it.
func TestCgroup2MountShowsOnlyOwnCgroup(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	s := defaultSpec(t, "sh", "-c", "grep ^0:: /proc/self/cgroup; ls -d /sys/fs/cgroup/*/ 2>/dev/null | wc -l")
	bundle := writeBundle(t, s)
	script := `mount -t cgroup2 none /sys/fs/cgroup && exec "$0" run -b "$1" "$2"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, minirun, bundle, containerID(t))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("run on a cgroup2 /sys/fs/cgroup: %v: %s", err, errb.String())
	}
	// Its own cgroup has no child directories; the host's root has
	// minirun/ at least (the container's parent).
	if out.String() != "0::/\n0\n" {
		t.Fatalf("the container's cgroup view: %q, want its own cgroup (0::/) with no directories below", out.String())
	}
}

// Without a mount namespace every mount would be made on the host, so a
// config that has mounts (or masked or read-only paths) is refused.
func TestNoMountNamespaceRefusesMounts(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	dropNamespace(s, specs.MountNamespace)
	before := mountsUnder(t, "/")
	checkFailure(t, runSpec(t, s, ""), exitRunc, "validate config", "no mount namespace", "on the host")
	s.Mounts = nil
	checkFailure(t, runSpec(t, s, ""), exitRunc, "validate config", "linux.maskedPaths", "no mount namespace")
	if after := mountsUnder(t, "/"); after != before {
		t.Fatalf("host mounts went from %d to %d", before, after)
	}
}

// A container joining a mount namespace by path gets that namespace's root
// replaced by its rootfs (pivot_root), not a chroot inside it: with
// CAP_SYS_CHROOT, which Docker's defaults grant, the classic chroot
// break-out would otherwise reach the joined namespace's real root.
func TestJoinedMountNamespaceIsPivotedNotChrooted(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	marker := filepath.Join(t.TempDir(), "outside-the-rootfs")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("unshare", "--mount", "--propagation", "private", "sleep", "1000")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	nsPath := fmt.Sprintf("/proc/%d/ns/mnt", holder.Process.Pid)
	self, _ := os.Readlink("/proc/self/ns/mnt")
	for i := 0; ; i++ {
		if ns, err := os.Readlink(nsPath); err == nil && ns != self {
			break
		}
		if i == 200 {
			t.Fatal("unshare never made its mount namespace")
		}
		time.Sleep(5 * time.Millisecond)
	}
	s := probeSpec(t, "chroot-escape", "/esc", marker)
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == specs.MountNamespace {
			s.Linux.Namespaces[i].Path = nsPath
		}
	}
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "contained\n" {
		t.Fatalf("chroot break-out from a joined mount namespace: %+v, want contained", r)
	}
}

// An exec into a container without a mount namespace of its own runs in
// the container's root, not in the host's, where setns alone leaves it.
func TestExecWithoutMountNamespaceStaysInRootfs(t *testing.T) {
	needRoot(t)
	s := writableSpec(t, "sleep", "100")
	s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.MountNamespace })
	s.Mounts, s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil, nil
	s.Root.Readonly = false
	if err := os.WriteFile(filepath.Join(s.Root.Path, "only-in-the-rootfs"), []byte("inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id, _ := createContainer(t, s)
	if r := runMinirun(t, "", "start", id); r.code != 0 {
		t.Fatalf("start: %+v", r)
	}
	r := runMinirun(t, "", "exec", id, "cat", "/only-in-the-rootfs")
	if r.code != 0 || r.stdout != "inside\n" {
		t.Fatalf("exec into a container without a mount namespace: %+v, want the rootfs's file", r)
	}
}

// A foreground container keeps its parent-death signal through the change
// to a non-root user, which clears it: killed with its minirun, it must
// not run on unattended.
func TestPdeathsigSurvivesUserChange(t *testing.T) {
	needRoot(t)
	s := probeSpec(t, "pdeathsig", "self")
	s.Process.User = specs.User{UID: 1000, GID: 1000}
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "pdeathsig 9\n" {
		t.Fatalf("parent-death signal of a uid-1000 container: %+v, want SIGKILL (9)", r)
	}
}

// Joining minirun's own mount namespace with a rootfs to pivot into is
// refused: pivot_root there would move the root of every process in it
// (the host's) into the container's rootfs.
func TestJoiningOwnMountNamespaceRefused(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == specs.MountNamespace {
			s.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/mnt", os.Getpid())
		}
	}
	checkFailure(t, runSpec(t, s, ""), exitRunc, "join namespace", "minirun's own", "give the container a mount namespace of its own")
	checkNothingLeft(t, containerID(t), 0)
}
