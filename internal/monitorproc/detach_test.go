package monitorproc

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The child side of TestTakeCallerDropsItsGOMAXPROCS, in a process of its
// own: TakeCaller runs once per process, on fd 3.
func init() {
	if os.Getenv("MONITORPROC_TEST_CHILD") == "" {
		return
	}
	os.Unsetenv("MONITORPROC_TEST_CHILD")
	TakeCaller()
	gmp, set := os.LookupEnv("GOMAXPROCS")
	_, marker := os.LookupEnv(OnePEnv)
	fmt.Printf("caller=%v onep=%v gomaxprocs=%v:%s marker=%v\n", Caller() != nil, OneP(), set, gmp, marker)
	os.Exit(0)
}

// A GOMAXPROCS that Detach set is taken out of the environment, so that
// what the child starts (CNI plugins get its environment) runs with its
// own; one the user set stays.
func TestTakeCallerDropsItsGOMAXPROCS(t *testing.T) {
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"set by Detach", []string{"GOMAXPROCS=1", OnePEnv + "=1"}, "caller=true onep=true gomaxprocs=false: marker=false"},
		{"the user's", []string{"GOMAXPROCS=2"}, "caller=true onep=false gomaxprocs=true:2 marker=false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "MONITORPROC_TEST_CHILD=1", fmt.Sprintf("%s=%d", CallerEnv, CallerFd))
			cmd.Env = append(cmd.Env, c.env...)
			cmd.ExtraFiles = []*os.File{w} // fd 3
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			if got := strings.TrimSpace(string(out)); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
