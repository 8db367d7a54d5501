package container

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container/internal/spectest"
	"github.com/minirun/minirun/seccomp"
)

func compile(t *testing.T, def specs.LinuxSeccompAction, rules ...specs.LinuxSyscall) *seccomp.Program {
	t.Helper()
	p := &specs.LinuxSeccomp{DefaultAction: def, Syscalls: rules}
	for _, r := range rules {
		if r.Action == specs.ActNotify {
			p.ListenerPath = "/run/agent.sock"
		}
	}
	prog, err := seccomp.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func deny(names ...string) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: names, Action: specs.ActErrno}
}

// A profile is refused up front only when it denies what the runtime
// itself calls after loading it, for the shape of this start.
func TestCheckStartable(t *testing.T) {
	if seccomp.NativeArch() == "" {
		t.Skip("no native seccomp arch")
	}
	docker, err := seccomp.DefaultProfile(nil)
	if err != nil {
		t.Fatal(err)
	}
	dockerProg, err := seccomp.Compile(docker)
	if err != nil {
		t.Fatal(err)
	}
	plain := spectest.Spec()
	nnp := spectest.Spec()
	nnp.Process.NoNewPrivileges = true
	for _, tc := range []struct {
		name string
		prog *seccomp.Program
		s    *specs.Spec
		exec bool
		want string // "" to start
	}{
		{"docker's default", dockerProg, plain, false, ""},
		{"deny all", compile(t, specs.ActErrno), plain, false, "gives ERRNO(EPERM) to execve"},
		{"kill on execve", compile(t, specs.ActAllow, specs.LinuxSyscall{Names: []string{"execve"}, Action: specs.ActKillProcess}), plain, false, "to execve"},
		// capset drops CAP_SYS_ADMIN after the filter unless no_new_privs.
		{"no capset", compile(t, specs.ActAllow, deny("capset")), plain, false, "to capset"},
		{"no capset, no_new_privs", compile(t, specs.ActAllow, deny("capset")), nnp, false, ""},
		// The wait for start reads the fifo; an exec does not wait.
		{"no read", compile(t, specs.ActAllow, deny("read")), plain, false, "to read"},
		{"no read, exec", compile(t, specs.ActAllow, deny("read")), plain, true, ""},
		// The Go runtime's own: a futex denied is fatal.
		{"no futex", compile(t, specs.ActAllow, deny("futex")), nnp, false, "to futex"},
		// Older profiles lack newer calls: refused only if needed.
		{"no close_range, clone3", compile(t, specs.ActAllow, deny("close_range", "clone3", "faccessat2")), plain, false, ""},
		{"notify", compile(t, specs.ActAllow, specs.LinuxSyscall{Names: []string{"execve", "capset"}, Action: specs.ActNotify}), plain, false, ""},
	} {
		err := checkStartable(tc.prog, tc.s, tc.exec)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
