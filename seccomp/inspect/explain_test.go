package inspect

import (
	"strings"
	"testing"

	"github.com/minirun/minirun/seccomp"
)

func TestExplainDefault(t *testing.T) {
	s, err := seccomp.DefaultProfile(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	out := Explain(s).String()
	for _, want := range []string{"(any other syscall)      ERRNO(EPERM)", "(unknown number)         ERRNO(ENOSYS)", "clone3                   ERRNO(ENOSYS)", "read                     ALLOW"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q", want)
		}
	}
	if strings.Contains(out, "\nunshare ") {
		t.Error("unshare listed without SYS_ADMIN")
	}
}
