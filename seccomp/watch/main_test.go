package watch

import (
	"testing"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/seccomptest"
)

// dockerCaps are Docker's 14 default capabilities.
var dockerCaps = seccomptest.DockerCaps

func TestMain(m *testing.M) { seccomptest.Main(m, "watch") }

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
