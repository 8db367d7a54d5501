package container

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/container/internal/spectest"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/seccomp"
)

func profile(def specs.LinuxSeccompAction, rules ...specs.LinuxSyscall) *specs.LinuxSeccomp {
	p := &specs.LinuxSeccomp{DefaultAction: def, Syscalls: rules}
	for _, r := range rules {
		if r.Action == specs.ActNotify {
			p.ListenerPath = "/run/agent.sock"
		}
	}
	return p
}

func deny(names ...string) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: names, Action: specs.ActErrno}
}

// A profile is refused up front only when it denies what the runtime
// itself calls after loading it, for the shape of this start.
func TestCompileRefusesUnstartable(t *testing.T) {
	if seccomp.NativeArch() == "" {
		t.Skip("no native seccomp arch")
	}
	docker, err := seccomp.DefaultProfile(nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := spectest.Spec()
	nnp := spectest.Spec()
	nnp.Process.NoNewPrivileges = true
	for _, tc := range []struct {
		name string
		prof *specs.LinuxSeccomp
		s    *specs.Spec
		exec bool
		want string // "" to start
	}{
		{"docker's default", docker, plain, false, ""},
		{"deny all", profile(specs.ActErrno), plain, false, "gives ERRNO(EPERM) to execve"},
		{"kill on execve", profile(specs.ActAllow, specs.LinuxSyscall{Names: []string{"execve"}, Action: specs.ActKillProcess}), plain, false, "to execve"},
		// capset drops CAP_SYS_ADMIN after the filter unless no_new_privs.
		{"no capset", profile(specs.ActAllow, deny("capset")), plain, false, "to capset"},
		{"no capset, no_new_privs", profile(specs.ActAllow, deny("capset")), nnp, false, ""},
		// The wait for start reads the fifo; an exec does not wait.
		{"no read", profile(specs.ActAllow, deny("read")), plain, false, "to read"},
		{"no read, exec", profile(specs.ActAllow, deny("read")), plain, true, ""},
		// The Go runtime's own: a futex denied is fatal.
		{"no futex", profile(specs.ActAllow, deny("futex")), nnp, false, "to futex"},
		// Older profiles lack newer calls: refused only if needed.
		{"no close_range, clone3", profile(specs.ActAllow, deny("close_range", "clone3", "faccessat2")), plain, false, ""},
		{"notify", profile(specs.ActAllow, specs.LinuxSyscall{Names: []string{"execve", "capset"}, Action: specs.ActNotify}), plain, false, ""},
	} {
		s := *tc.s
		linux := *s.Linux
		linux.Seccomp = tc.prof
		s.Linux = &linux
		_, err := compileSeccomp(&s, initproc.NeededAfterFilter(&s, tc.exec), trace.New(false, ""))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
