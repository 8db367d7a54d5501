package inspect

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/seccomp"
)

// The listing names what each instruction loads, tests and returns, so
// `minirun seccomp bpf` can be read without the kernel's headers.
func TestDisassembleNamesArchSyscallAndAction(t *testing.T) {
	if seccomp.NativeArch() != "x86_64" {
		t.Skip("the listing checked is x86_64's; this host is " + seccomp.NativeArch())
	}
	p, err := seccomp.Compile(&specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActAllow}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := Disassemble(p)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(p.Instructions) {
		t.Fatalf("%d lines for %d instructions:\n%s", len(lines), len(p.Instructions), out)
	}
	if lines[0] != "   0: ld arch" {
		t.Errorf("first line %q, want the arch loaded", lines[0])
	}
	for _, want := range []string{"  # x86_64", "ld nr", "  # getpid", "ret ALLOW", "ret ERRNO(EPERM)", "ret ERRNO(ENOSYS)"} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q:\n%s", want, out)
		}
	}
}
