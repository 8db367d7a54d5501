// Package seccomptest holds what the tests of seccomp's watch and inspect
// packages share: a seccomp cache of their own, and Docker's default
// capabilities.
package seccomptest

import (
	"os"
	"testing"

	"github.com/minirun/minirun/seccomp"
)

// DockerCaps are Docker's 14 default capabilities.
var DockerCaps = []string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}

// Main runs a package's tests with the seccomp cache in a temporary
// directory: tests never touch the host's cache.
func Main(m *testing.M, name string) {
	dir, err := os.MkdirTemp("", "minirun-seccomp-"+name+"-test")
	if err != nil {
		panic(err)
	}
	seccomp.CacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
