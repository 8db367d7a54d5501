package seccomp

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestBlocked(t *testing.T) {
	deny, err := compileNoCache(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno})
	if err != nil {
		t.Fatal(err)
	}
	got, err := deny.Blocked("execve", "exit_group")
	if err != nil || len(got) != 2 || got[0] != "execve: ERRNO(EPERM)" {
		t.Fatalf("deny-all: %q, %v", got, err)
	}
	if err := deny.BlockedError("execve"); err == nil || !strings.Contains(err.Error(), "execve: ERRNO(EPERM)") {
		t.Fatalf("deny-all error: %v", err)
	}
	def, err := DefaultProfile(nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compileNoCache(def)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.BlockedError("execve", "exit_group", "write", "sendmsg", "capset", "setgroups", "setresuid", "setresgid", "prctl", "chdir", "close_range"); err != nil {
		t.Fatalf("default profile: %v", err)
	}
	if got, _ := p.Blocked("unshare"); len(got) != 1 {
		t.Fatalf("default profile lets unshare through: %q", got)
	}
}
