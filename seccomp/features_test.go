package seccomp

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// What `features` lists is what Validate takes, and nothing more.
func TestFeaturesMatchValidate(t *testing.T) {
	actions, operators, archs, flags := Features()
	for _, a := range actions {
		p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.LinuxSeccompAction(a)}}}
		if a == string(specs.ActNotify) {
			p.ListenerPath = "/run/x.sock"
		}
		if err := Validate(p); err != nil {
			t.Errorf("listed action %s refused: %v", a, err)
		}
	}
	for _, o := range operators {
		p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.LinuxSeccompOperator(o)}}}}}
		if err := Validate(p); err != nil {
			t.Errorf("listed operator %s refused: %v", o, err)
		}
	}
	for _, a := range archs {
		if err := Validate(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.Arch(a)}}); err != nil {
			t.Errorf("listed arch %s refused: %v", a, err)
		}
	}
	for _, f := range flags {
		if err := Validate(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlag(f)}}); err != nil {
			t.Errorf("listed flag %s refused: %v", f, err)
		}
	}
	if err := Validate(&specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_MAYBE"}); err == nil {
		t.Error("an action that is not listed was taken")
	}
}
