package initproc

import (
	"slices"
	"testing"

	"github.com/minirun/minirun/container/internal/spectest"
)

// SeccompRequired is what a recorded profile lists: execve, the longer
// list (without no_new_privs) whatever the config says, the Go runtime's,
// each once.
func TestSeccompRequired(t *testing.T) {
	s := spectest.Spec()
	s.Process.NoNewPrivileges = true
	got := SeccompRequired(s)
	if got[0] != "execve" {
		t.Errorf("execve first: %v", got)
	}
	for _, n := range append(append([]string{"capset", "sendmsg", "read", "close"}, runtimeAfterFilter...), goRuntimeMayCall...) {
		if !slices.Contains(got, n) {
			t.Errorf("%s missing from %v", n, got)
		}
	}
	for i, n := range got {
		if slices.Index(got, n) != i {
			t.Errorf("%s twice in %v", n, got)
		}
	}
	if !s.Process.NoNewPrivileges {
		t.Error("the caller's spec was changed")
	}
}
