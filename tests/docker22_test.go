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
