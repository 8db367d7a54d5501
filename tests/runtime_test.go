package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestIdentityPidAndHostname(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "whoami; echo $$; hostname")
	s.Hostname = "box1"
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "root\n1\nbox1\n" {
		t.Fatalf("got %+v", r)
	}
}

func TestCapabilityMasks(t *testing.T) {
	needRoot(t)
	r := runSpec(t, defaultSpec(t, "grep", "^Cap", "/proc/self/status"), "")
	// Docker's 14 capabilities: chown dac_override fowner fsetid kill setgid
	// setuid setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap.
	for _, want := range []string{"CapInh:\t0000000000000000", "CapPrm:\t00000000a80425fb",
		"CapEff:\t00000000a80425fb", "CapBnd:\t00000000a80425fb", "CapAmb:\t0000000000000000"} {
		mustContain(t, "capabilities", r.stdout, want)
	}
}

func TestAmbientAndNonRootUser(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "id -u; id -g; id -G; grep -E '^Cap(Eff|Amb)' /proc/self/status; umask")
	umask := uint32(0o027)
	s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{5, 100}, Umask: &umask}
	s.Process.Capabilities.Inheritable = []string{"CAP_NET_BIND_SERVICE"}
	s.Process.Capabilities.Ambient = []string{"CAP_NET_BIND_SERVICE"}
	r := runSpec(t, s, "")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"1000\n1000\n", "5 100", "CapEff:\t0000000000000400", "CapAmb:\t0000000000000400", "0027"} {
		mustContain(t, "user", r.stdout, want)
	}
}

func TestMaskedAndReadonlyPaths(t *testing.T) {
	needRoot(t)
	r := runSpec(t, defaultSpec(t, "sh", "-c",
		"wc -c < /proc/keys; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname && echo wrote; echo x > /proc/sysrq-trigger && echo wrote2; true"), "")
	if r.stdout != "0\n0\n" {
		t.Fatalf("masked/read-only paths leaked: %+v", r)
	}
	mustContain(t, "stderr", r.stderr, "Read-only file system")
}

func TestReadonlyRoot(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "touch /x 2>&1; touch /tmp/x 2>&1; touch /dev/shm/ok && echo shm-ok")
	s.Root.Readonly = true
	r := runSpec(t, s, "")
	mustContain(t, "stdout", r.stdout, "touch: /x: Read-only file system")
	mustContain(t, "stdout", r.stdout, "shm-ok")
}

// runc's run passes the process's status through, and exits 1 when the
// process can't be started, whatever the reason; the error says which.
// (The Docker front's 126 and 127: TestDockerExitCodes.)
func TestExitCodes(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		args   []string
		want   int
		stderr string
	}{
		{[]string{"sh", "-c", "exit 3"}, 3, ""},
		{[]string{"no-such-command"}, exitRunc, `exec: "no-such-command": executable file not found in $PATH`},
		{[]string{"/etc/passwd"}, exitRunc, `exec: "/etc/passwd": permission denied`},
		{[]string{"/tmp"}, exitRunc, `exec: "/tmp"`},
	} {
		r := runSpec(t, defaultSpec(t, tc.args...), "")
		if r.code != tc.want || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.want, tc.stderr)
		}
	}
}

// The container's first process is inspected from the host while it runs:
// it must hold only stdio, and SIGKILL to it makes minirun exit 128+9.
func TestNoLeakedFdsAndSignalStatus(t *testing.T) {
	needRoot(t)
	cmd, pid := startSpec(t, defaultSpec(t, "sleep", "30"))
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	var fds []string
	for _, e := range ents {
		fds = append(fds, e.Name())
	}
	if strings.Join(fds, " ") != "0 1 2" {
		t.Errorf("container process holds fds %v, want only 0 1 2", fds)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 137 {
		t.Fatalf("minirun after SIGKILL of the container: %v, want exit 137", err)
	}
}

func TestNoMountsLeftBehind(t *testing.T) {
	needRoot(t)
	before := mountsUnder(t, rootfs)
	r := runSpec(t, defaultSpec(t, "true"), "")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if after := mountsUnder(t, rootfs); after != before {
		t.Fatalf("host mounts under the rootfs: %d before, %d after", before, after)
	}
}

// The seed article's scenes: the default profile denies unshare, and
// without seccomp `unshare --user` makes root nobody.
func TestDefaultProfileDeniesUnshare(t *testing.T) {
	needRoot(t)
	r := runSpec(t, defaultSpec(t, "unshare"), "")
	if r.code != 1 || r.stderr != "unshare: unshare(0x0): Operation not permitted\n" {
		t.Fatalf("got %+v", r)
	}
	r = runSpec(t, defaultSpec(t, "grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/self/status"), "")
	if r.stdout != "NoNewPrivs:\t0\nSeccomp:\t2\n" {
		t.Fatalf("status %q", r.stdout)
	}
}

func TestUnconfinedUnshareUser(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "unshare", "--user", "whoami")
	s.Linux.Seccomp = nil
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "nobody\n" {
		t.Fatalf("got %+v", r)
	}
}

func TestNoNewPrivileges(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/self/status")
	s.Process.NoNewPrivileges = true
	r := runSpec(t, s, "")
	if r.stdout != "NoNewPrivs:\t1\nSeccomp:\t2\n" {
		t.Fatalf("status %q (%s)", r.stdout, r.stderr)
	}
}

func TestNamespacesAndSysctl(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "cat /proc/sys/net/ipv4/ip_forward; echo $(ls /sys/class/net); readlink /proc/self/ns/time")
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	s.Linux.ReadonlyPaths = nil // /proc/sys must be writable for the sysctl
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	r := runSpec(t, s, "")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "1\nlo\n") {
		t.Fatalf("got %+v", r)
	}
	host, _ := os.Readlink("/proc/self/ns/time")
	if strings.HasSuffix(r.stdout, host+"\n") {
		t.Fatalf("time namespace not created: %q", r.stdout)
	}
}

func TestUserNamespaceMapping(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "cat /proc/self/uid_map; whoami")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	// The rootfs belongs to host root, which the namespace maps to nobody;
	// it stays readable, which is all this test needs.
	r := runSpec(t, s, "")
	if r.code != 0 || !regexp.MustCompile(`^\s+0\s+100000\s+65536\nroot\n$`).MatchString(r.stdout) {
		t.Fatalf("got %+v", r)
	}
}

func TestMountsAndOptions(t *testing.T) {
	needRoot(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "hello"), []byte("from host\n"), 0o644)
	s := defaultSpec(t, "sh", "-c", "cat /data/hello; echo y > /data/new 2>&1 || echo ro-ok; grep ' /scratch ' /proc/mounts")
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/data", Type: "bind", Source: host, Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"noexec", "size=1m", "mode=700"}})
	r := runSpec(t, s, "")
	mustContain(t, "bind", r.stdout, "from host\n")
	mustContain(t, "ro bind", r.stdout, "ro-ok")
	mustContain(t, "tmpfs", r.stdout, "noexec")
	mustContain(t, "tmpfs", r.stdout, "size=1024k,mode=700")
}

func TestDevicesDomainnameOOMScore(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "ls -l /dev/loop-test /dev/null | awk '{print $1, $5, $6}'; cat /proc/sys/kernel/domainname; cat /proc/self/oom_score_adj")
	mode := os.FileMode(0o600)
	zero := uint32(0)
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/loop-test", Type: "b", Major: 7, Minor: 200, FileMode: &mode, UID: &zero, GID: &zero}}
	s.Domainname = "example.org"
	adj := 500
	s.Process.OOMScoreAdj = &adj
	r := runSpec(t, s, "")
	want := "brw------- 7, 200\ncrw-rw-rw- 1, 3\nexample.org\n500\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("got %+v, want %q", r, want)
	}
}
