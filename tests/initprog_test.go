package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Which init program a start or an exec runs (container/initexe.go), as
// --debug names it, and that each works: minirun-init for a new container
// that needs no C pre-main, minirun-init-nsenter for one that does (here:
// no pid namespace of its own) and for every exec, and minirun itself
// when told not to use the init programs.
func TestInitProgramChosen(t *testing.T) {
	needRoot(t)
	for _, b := range []string{"minirun-init", "minirun-init-nsenter"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(minirun), b)); err != nil {
			t.Fatalf("no %s beside %s: %v", b, minirun, err)
		}
	}
	const line = "init program: "
	program := func(t *testing.T, r result) string {
		t.Helper()
		for _, l := range strings.Split(r.stderr, "\n") {
			if _, rest, ok := strings.Cut(l, line); ok {
				name, _, _ := strings.Cut(rest, ",")
				return name
			}
		}
		t.Fatalf("no %q line in --debug's output: %+v", line, r)
		return ""
	}

	t.Run("a new pid namespace", func(t *testing.T) {
		r := runMinirun(t, "", "--debug", "run", "-b", writeBundle(t, defaultSpec(t, "echo", "ran")), containerID(t))
		if r.code != 0 || r.stdout != "ran\n" || program(t, r) != "minirun-init" {
			t.Fatalf("want minirun-init, and the container ran: %+v", r)
		}
	})
	t.Run("the host pid namespace", func(t *testing.T) {
		s := defaultSpec(t, "echo", "ran")
		dropNamespace(s, specs.PIDNamespace)
		r := runMinirun(t, "", "--debug", "run", "-b", writeBundle(t, s), containerID(t))
		if r.code != 0 || r.stdout != "ran\n" || program(t, r) != "minirun-init-nsenter" {
			t.Fatalf("want minirun-init-nsenter, and the container ran: %+v", r)
		}
	})
	t.Run("exec", func(t *testing.T) {
		id, _ := createContainer(t, defaultSpec(t, "sleep", "100"))
		if r := runMinirun(t, "", "start", id); r.code != 0 {
			t.Fatalf("start: %+v", r)
		}
		// The exec'd process is in the container's pid namespace: its own
		// pid is not 1, and pid 1 there is the container's sleep.
		r := runMinirun(t, "", "--debug", "exec", id, "sh", "-c", `echo $$; tr "\0" " " </proc/1/cmdline`)
		if r.code != 0 || program(t, r) != "minirun-init-nsenter" {
			t.Fatalf("want minirun-init-nsenter, and the exec ran: %+v", r)
		}
		if f := strings.Fields(r.stdout); len(f) != 3 || f[0] == "1" || f[1] != "sleep" {
			t.Fatalf("want the exec's own pid (not 1) and the container's pid 1, sleep: %q", r.stdout)
		}
		cmd := exec.Command(minirun, "--debug", "exec", id, "echo", "ran")
		cmd.Env = append(os.Environ(), "MINIRUN_NO_INIT_BINARY=1")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r = result{stdout: out.String(), stderr: errb.String()}
		if err != nil || r.stdout != "ran\n" || program(t, r) != "minirun" {
			t.Fatalf("with MINIRUN_NO_INIT_BINARY: want minirun, and the exec ran: %v %+v", err, r)
		}
	})
}
