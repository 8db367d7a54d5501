package seccomp

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// dockerCaps are Docker's 14 default capabilities.
var dockerCaps = []string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}

func TestMain(m *testing.M) {
	// Tests never touch the host's cache.
	dir, err := os.MkdirTemp("", "minirun-seccomp-test")
	if err != nil {
		panic(err)
	}
	CacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func errno(e unix.Errno) uint32 { return RetErrno | uint32(e) }

func compileDefault(t testing.TB, caps []string) *Program {
	t.Helper()
	s, err := DefaultProfile(caps)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultProfileTable(t *testing.T) {
	withCap := func(c ...string) []string { return append(append([]string{}, dockerCaps...), c...) }
	cloneNewUser := uint64(unix.CLONE_NEWUSER)
	tests := []struct {
		name    string
		caps    []string
		arch    string
		syscall string
		args    [6]uint64
		want    uint32
	}{
		{"read allowed", dockerCaps, "x86_64", "read", [6]uint64{}, RetAllow},
		{"execve allowed", dockerCaps, "x86_64", "execve", [6]uint64{}, RetAllow},
		{"unshare denied", dockerCaps, "x86_64", "unshare", [6]uint64{0}, errno(unix.EPERM)},
		{"unshare with SYS_ADMIN", withCap("SYS_ADMIN"), "x86_64", "unshare", [6]uint64{0}, RetAllow},
		{"mount denied", dockerCaps, "x86_64", "mount", [6]uint64{}, errno(unix.EPERM)},
		{"mount with SYS_ADMIN", withCap("CAP_SYS_ADMIN"), "x86_64", "mount", [6]uint64{}, RetAllow},
		{"setns denied", dockerCaps, "x86_64", "setns", [6]uint64{}, errno(unix.EPERM)},
		{"setns with sys_admin lower case", withCap("sys_admin"), "x86_64", "setns", [6]uint64{}, RetAllow},
		{"acct denied", dockerCaps, "x86_64", "acct", [6]uint64{}, errno(unix.EPERM)},
		{"acct with SYS_PACCT", withCap("SYS_PACCT"), "x86_64", "acct", [6]uint64{}, RetAllow},
		{"reboot denied", dockerCaps, "x86_64", "reboot", [6]uint64{}, errno(unix.EPERM)},
		{"reboot with SYS_BOOT", withCap("SYS_BOOT"), "x86_64", "reboot", [6]uint64{}, RetAllow},
		{"ptrace allowed (kernel >= 4.8)", dockerCaps, "x86_64", "ptrace", [6]uint64{}, RetAllow},
		{"number 1000 is ENOSYS", dockerCaps, "x86_64", "1000", [6]uint64{}, errno(unix.ENOSYS)},
		{"unassigned 400 is ENOSYS", dockerCaps, "x86_64", "400", [6]uint64{}, errno(unix.ENOSYS)},
		{"clone3 is ENOSYS without SYS_ADMIN", dockerCaps, "x86_64", "clone3", [6]uint64{}, errno(unix.ENOSYS)},
		{"clone3 allowed with SYS_ADMIN", withCap("SYS_ADMIN"), "x86_64", "clone3", [6]uint64{}, RetAllow},
		{"clone for a thread", dockerCaps, "x86_64", "clone", [6]uint64{unix.CLONE_VM | unix.CLONE_THREAD}, RetAllow},
		{"clone with CLONE_NEWUSER", dockerCaps, "x86_64", "clone", [6]uint64{cloneNewUser}, errno(unix.EPERM)},
		{"clone with CLONE_NEWUSER and SYS_ADMIN", withCap("SYS_ADMIN"), "x86_64", "clone", [6]uint64{cloneNewUser}, RetAllow},
		{"personality 0 allowed", dockerCaps, "x86_64", "personality", [6]uint64{0}, RetAllow},
		{"personality 1 denied", dockerCaps, "x86_64", "personality", [6]uint64{1}, errno(unix.EPERM)},
		{"socket AF_INET", dockerCaps, "x86_64", "socket", [6]uint64{unix.AF_INET}, RetAllow},
		{"x86 getpid via int 0x80", dockerCaps, "x86", "getpid", [6]uint64{}, RetAllow},
		{"x86 unshare denied", dockerCaps, "x86", "unshare", [6]uint64{}, errno(unix.EPERM)},
		{"x86 number 1000 is ENOSYS", dockerCaps, "x86", "1000", [6]uint64{}, errno(unix.ENOSYS)},
		{"x86 socketcall allowed", dockerCaps, "x86", "socketcall", [6]uint64{}, RetAllow},
		{"x32 read allowed", dockerCaps, "x32", "read", [6]uint64{}, RetAllow},
		{"x32 unshare denied", dockerCaps, "x32", "unshare", [6]uint64{}, errno(unix.EPERM)},
		{"x32 number 13 (64-bit rt_sigaction) is ENOSYS", dockerCaps, "x32", "13", [6]uint64{}, errno(unix.ENOSYS)},
		{"x32 number 1000 is ENOSYS", dockerCaps, "x32", "1000", [6]uint64{}, errno(unix.ENOSYS)},
		{"arm64 is not in the filter", dockerCaps, "aarch64", "read", [6]uint64{}, RetKillThread},
	}
	progs := map[string]*Program{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := ""
			for _, c := range tc.caps {
				key += c + ","
			}
			p := progs[key]
			if p == nil {
				p = compileDefault(t, tc.caps)
				progs[key] = p
			}
			got, err := p.Evaluate(tc.arch, tc.syscall, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s %s%v = %s, want %s", tc.arch, tc.syscall, tc.args[:1], ActionString(got), ActionString(tc.want))
			}
		})
	}
}
