package watch

import (
	"os"
	"testing"

	"github.com/minirun/minirun/seccomp"
)

// dockerCaps are Docker's 14 default capabilities.
var dockerCaps = []string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}

func TestMain(m *testing.M) {
	// Tests never touch the host's cache.
	dir, err := os.MkdirTemp("", "minirun-seccomp-watch-test")
	if err != nil {
		panic(err)
	}
	seccomp.CacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func compileDefault(t testing.TB, caps []string) *seccomp.Program {
	t.Helper()
	s, err := seccomp.DefaultProfile(caps)
	if err != nil {
		t.Fatal(err)
	}
	p, err := seccomp.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
