package tests

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Issue 22's finish: run -d as cheap as before detached containers had
// monitors, one rule for Docker references, anonymous volumes.

// run -d through the lean minirun is its own container's monitor: the
// process that made the container stays on as the init's parent (one Go
// program started, not two), holding none of the caller's stdio, so a
// $(minirun run -d ...) ends as soon as the id is printed.
func TestDocker22RunDetachIsItsOwnMonitor(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	cmd := exec.Command(minirun, "--store", storeDir, "run", "-d", "--network", "none", "--name", "d22-self", "alpine", "sleep", "100")
	out, err := cmd.Output() // a pipe: Output returns once every holder closed it
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", "d22-self") })
	id := strings.TrimSpace(string(out))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want one 64-hex id", out)
	}
	st := lifeRecord(t, id).State
	if st.Status != "running" || st.Pid <= 0 {
		t.Fatalf("record after run -d: %+v, want running with a pid", st)
	}
	mon := monitorPid(t, st.Pid)
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", mon))
	if !strings.Contains(string(cmdline), "\x00run\x00-d\x00") || !strings.Contains(string(cmdline), "\x00d22-self\x00") {
		t.Fatalf("the monitor %d runs %q, not the run -d that made the container", mon, cmdline)
	}
	for fd := 0; fd <= 2; fd++ {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", mon, fd)); l != "/dev/null" {
			t.Errorf("the monitor's fd %d is %q, want /dev/null", fd, l)
		}
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", mon)); cwd != "/" {
		t.Errorf("the monitor's directory is %q, want /", cwd)
	}
	if code := lifeRecord(t, id).State.ExitCode; code != 0 {
		t.Fatalf("exit code %d while running", code)
	}
	if r := dockerCmd(t, "logs", "d22-self"); r.code != 0 {
		t.Fatalf("logs of the detached container: %+v", r)
	}
}

// A run -d that fails before its container runs ends with the status
// and the one-line error of the failure, and leaves no container.
func TestDocker22RunDetachFailures(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	before := dockerCmd(t, "ps", "-a", "-q", "--no-trunc").stdout
	r := dockerRun(t, "", "-d", "--network", "none", "alpine", "no-such-command")
	checkFailure(t, r, 127, "no-such-command")
	if r.stdout != "" {
		t.Errorf("a failed run -d printed %q", r.stdout)
	}
	r = dockerRun(t, "", "-d", "--network", "none", "--pull", "never", "no-such-image-d22")
	checkFailure(t, r, exitDocker, "no-such-image-d22")
	r = dockerRun(t, "", "-d", "--network", "none", "--stop-signal", "SIGNOPE", "alpine", "true")
	checkFailure(t, r, exitDocker, "stop-signal")
	if after := dockerCmd(t, "ps", "-a", "-q", "--no-trunc").stdout; after != before {
		t.Fatalf("failed runs left containers: ps -a -q was %q, is %q", before, after)
	}
}

// uniquePrefix is the shortest prefix of id no other container in the
// suite's store shares, and a prefix that two or more share ("" if none).
func uniquePrefix(t *testing.T, id string) (unique, shared string) {
	t.Helper()
	ids := strings.Fields(dockerCmd(t, "ps", "-a", "-q", "--no-trunc").stdout)
	for n := 1; n <= len(id); n++ {
		others := 0
		for _, o := range ids {
			if o != id && strings.HasPrefix(o, id[:n]) {
				others++
			}
		}
		if others == 0 {
			unique = id[:n]
			break
		}
	}
	counts := map[string]int{}
	for _, o := range ids {
		counts[o[:1]]++
	}
	for p, n := range counts {
		if n > 1 {
			shared = p
		}
	}
	return unique, shared
}

// Every command that names a container takes any unique prefix of a
// Docker-front container's id, as Docker does: start and kill (told
// apart from runc's by the reference) as exec and inspect.
func TestDocker22AnyUniquePrefix(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	for i := 0; i < 3; i++ { // enough ids for a shared first character to be likely
		r := dockerCmd(t, "create", "--network", "none", "--name", fmt.Sprintf("d22-prefix-%d", i), "alpine", "sleep", "100")
		if r.code != 0 {
			t.Fatalf("create: %+v", r)
		}
		name := fmt.Sprintf("d22-prefix-%d", i)
		t.Cleanup(func() { dockerCmd(t, "rm", "-f", name) })
	}
	id := strings.TrimSpace(dockerCmd(t, "inspect", "-f", "{{.Id}}", "d22-prefix-0").stdout)
	p, shared := uniquePrefix(t, id)
	if len(p) >= 4 {
		t.Skipf("the store's ids share %d characters with %s: no short prefix to try", len(p)-1, id)
	}
	if r := dockerCmd(t, "start", p); r.code != 0 {
		t.Fatalf("start %s (a unique prefix of %s): %+v", p, id, r)
	}
	if st := lifeRecord(t, id).State; st.Status != "running" {
		t.Fatalf("after start %s: %+v", p, st)
	}
	if r := dockerCmd(t, "exec", p, "true"); r.code != 0 {
		t.Fatalf("exec %s: %+v", p, r)
	}
	if r := dockerCmd(t, "kill", p); r.code != 0 {
		t.Fatalf("kill %s: %+v", p, r)
	}
	if code := waitCode(t, "d22-prefix-0"); code != 137 {
		t.Fatalf("kill %s: exit %d, want 137 (Docker's SIGKILL)", p, code)
	}
	if shared != "" {
		r := dockerCmd(t, "kill", shared)
		checkFailure(t, r, exitDocker, "ambiguous")
	}
}
