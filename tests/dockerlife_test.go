package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The Docker-style lifecycle (issue 22): a detached container's monitor
// keeps its State, its restart policy, and create, start, stop, kill,
// restart and wait in Docker's form, beside runc's.

// lifeState is the part of a container record these tests read.
type lifeState struct {
	ID    string
	State struct {
		Status        string
		Running       bool
		Pid           int
		ExitCode      int
		Error         string
		RestartCount  int
		StoppedByUser bool
	}
}

// lifeRecord reads container id's record in the suite's store.
func lifeRecord(t *testing.T, id string) lifeState {
	t.Helper()
	var r lifeState
	data, err := os.ReadFile(filepath.Join(storeDir, "containers", id, "container.json"))
	if err == nil {
		err = json.Unmarshal(data, &r)
	}
	if err != nil {
		t.Fatalf("record of %s: %v", id, err)
	}
	return r
}

// dockerCmd runs a Docker-style command on the suite's store.
func dockerCmd(t *testing.T, args ...string) result {
	t.Helper()
	return runMinirun(t, "", append([]string{"--store", storeDir}, args...)...)
}

// detach is `run -d ARGS` under name: the container's id. It is removed
// when the test ends.
func detach(t *testing.T, name string, args ...string) string {
	t.Helper()
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	r := dockerRun(t, "", append([]string{"-d", "--name", name}, args...)...)
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 {
		t.Fatalf("run -d: %+v", r)
	}
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", name) })
	return id
}

// waitCode is `wait NAME`: the exit code it prints.
func waitCode(t *testing.T, name string) int {
	t.Helper()
	r := runMinirunWithin(t, 30*time.Second, "", "--store", storeDir, "wait", name)
	code, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if r.code != 0 || err != nil {
		t.Fatalf("wait %s: %+v", name, r)
	}
	return code
}

// recordUntil polls id's record for up to 10 s until ok says yes.
func recordUntil(t *testing.T, id, what string, ok func(lifeState) bool) lifeState {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := lifeRecord(t, id)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("record of %s never %s: %+v", id, what, r.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDockerLifeExitCodeKeptAndWait(t *testing.T) {
	needRoot(t)
	id := detach(t, "life-seven", "alpine", "sh", "-c", "echo out; echo err >&2; exit 7")
	if code := waitCode(t, "life-seven"); code != 7 {
		t.Fatalf("wait printed %d, want 7", code)
	}
	r := lifeRecord(t, id)
	if r.State.Status != "exited" || r.State.ExitCode != 7 || r.State.Running || r.State.Pid != 0 {
		t.Fatalf("record State: %+v", r.State)
	}
	log, err := os.ReadFile(filepath.Join(storeDir, "containers", id, id+"-json.log"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "log", string(log), `"stream":"stdout"`)
	mustContain(t, "log", string(log), `"stream":"stderr"`)
	// A start that fails leaves nothing, and says why in one line.
	before := len(containerDirs(t))
	bad := dockerRun(t, "", "-d", "alpine", "no-such-command")
	checkFailure(t, bad, 127, "no-such-command")
	if n := strings.Count(strings.TrimSpace(bad.stderr), "\n"); n != 0 {
		t.Errorf("error is %d lines: %q", n+1, bad.stderr)
	}
	if after := len(containerDirs(t)); after != before {
		t.Errorf("a failed run -d left a container directory (%d, then %d)", before, after)
	}
}

// sleep as PID 1 has no handler for SIGTERM, which the kernel then
// drops: stop must go on to SIGKILL after -t.
func TestDockerLifeStopEscalatesToKill(t *testing.T) {
	needRoot(t)
	id := detach(t, "life-stop", "alpine", "sleep", "100")
	recordUntil(t, id, "running", func(r lifeState) bool { return r.State.Status == "running" })
	r := dockerCmd(t, "stop", "-t", "1", "life-stop")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "life-stop" {
		t.Fatalf("stop: %+v", r)
	}
	st := lifeRecord(t, id).State
	if st.Status != "exited" || st.ExitCode != 137 || !st.StoppedByUser {
		t.Fatalf("after stop: %+v", st)
	}
	if code := waitCode(t, "life-stop"); code != 137 {
		t.Fatalf("wait printed %d, want 137", code)
	}
	if s := runMinirun(t, "", "state", id); s.code == 0 {
		t.Fatalf("the runtime still has the stopped container: %s", s.stdout)
	}
}

// kill is SIGKILL in Docker's form; runc's kill ID with no signal stays
// SIGTERM.
func TestDockerLifeKillForms(t *testing.T) {
	needRoot(t)
	id := detach(t, "life-kill", "alpine", "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done")
	recordUntil(t, id, "running", func(r lifeState) bool { return r.State.Status == "running" })
	if r := dockerCmd(t, "kill", "life-kill"); r.code != 0 {
		t.Fatalf("kill: %+v", r)
	}
	if code := waitCode(t, "life-kill"); code != 137 {
		t.Fatalf("Docker-form kill: exit %d, want 137 (SIGKILL)", code)
	}
	if r := dockerCmd(t, "kill", "life-kill"); r.code != exitDocker || !strings.Contains(r.stderr, "not running") {
		t.Errorf("kill of an exited container: %+v", r)
	}

	s := defaultSpec(t, "sh", "-c", "trap 'echo term > /out/term; exit 3' TERM; while :; do sleep 0.05; done")
	out := outDir(t, s)
	rid, _ := createContainer(t, s)
	mr(t, "start", rid)
	wantStatus(t, rid, specs.StateRunning)
	mr(t, "--store", storeDir, "kill", rid)
	wantStatus(t, rid, specs.StateStopped)
	if _, err := os.Stat(filepath.Join(out, "term")); err != nil {
		t.Fatalf("runc-form kill with no signal did not send SIGTERM: %v", err)
	}
}

// start runs a created or exited container again on the writable layer
// it left.
func TestDockerLifeStartKeepsLayer(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	script := "if [ -f /marker ]; then exit 5; fi; echo > /marker; exit 4"
	r := dockerCmd(t, "create", "--name", "life-layer", "alpine", "sh", "-c", script)
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 {
		t.Fatalf("create: %+v", r)
	}
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", "life-layer") })
	if st := lifeRecord(t, id).State; st.Status != "created" {
		t.Fatalf("created container's State: %+v", st)
	}
	if r := dockerCmd(t, "start", "life-layer"); r.code != 0 {
		t.Fatalf("start: %+v", r)
	}
	if code := waitCode(t, "life-layer"); code != 4 {
		t.Fatalf("first run: %d, want 4", code)
	}
	if r := dockerCmd(t, "start", "-a", "life-layer"); r.code != 5 {
		t.Fatalf("start -a of the exited container: %+v (want exit 5: /marker kept)", r)
	}
	if st := lifeRecord(t, id).State; st.Status != "exited" || st.ExitCode != 5 {
		t.Fatalf("after start -a: %+v", st)
	}
}

func TestDockerLifeRestartOnFailure(t *testing.T) {
	needRoot(t)
	id := detach(t, "life-onfail", "--restart", "on-failure:2", "alpine", "sh", "-c", "echo run; exit 1")
	r := recordUntil(t, id, "exited after its retries", func(r lifeState) bool {
		return r.State.Status == "exited" && r.State.RestartCount == 2
	})
	if r.State.ExitCode != 1 {
		t.Fatalf("State: %+v", r.State)
	}
	time.Sleep(500 * time.Millisecond) // a third restart would be due within 400 ms
	if st := lifeRecord(t, id).State; st.RestartCount != 2 || st.Status != "exited" {
		t.Fatalf("restarted beyond on-failure:2: %+v", st)
	}
	log, _ := os.ReadFile(filepath.Join(storeDir, "containers", id, id+"-json.log"))
	if n := strings.Count(string(log), `"run\n"`); n != 3 {
		t.Fatalf("%d runs in the log, want 3: %s", n, log)
	}
}

func TestDockerLifeStopNotUndoneByRestartAlways(t *testing.T) {
	needRoot(t)
	id := detach(t, "life-always", "--restart", "always", "alpine", "sleep", "100")
	recordUntil(t, id, "running", func(r lifeState) bool { return r.State.Status == "running" })
	if r := dockerCmd(t, "stop", "-t", "1", "life-always"); r.code != 0 {
		t.Fatalf("stop: %+v", r)
	}
	time.Sleep(500 * time.Millisecond) // past the first back-off (100 ms)
	st := lifeRecord(t, id).State
	if st.Status != "exited" || st.Running || st.RestartCount != 0 {
		t.Fatalf("--restart always undid stop: %+v", st)
	}
	if s := runMinirun(t, "", "state", id); s.code == 0 {
		t.Fatalf("running again after stop: %s", s.stdout)
	}
}

// monitorPid is the monitor of the container whose init is pid: the
// init's parent, which must be a minirun-monitor.
func monitorPid(t *testing.T, pid int) int {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid ...: comm may hold blanks, so from the last ")".
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("stat of %d: %q", pid, stat)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid)); string(comm) != "minirun-monitor\n" {
		t.Fatalf("the parent of init %d is %d (%q), not a monitor", pid, ppid, comm)
	}
	return ppid
}

// SIGKILL of the monitor: the container dies with it, the reaper clears
// the runtime's part, and the next command reads the record as exited
// with 255 (the code was lost); rm leaves nothing.
func TestDockerLifeMonitorKilled(t *testing.T) {
	needRoot(t)
	id := detach(t, "life-orphan", "--restart", "always", "alpine", "sleep", "100")
	st := recordUntil(t, id, "running", func(r lifeState) bool { return r.State.Status == "running" }).State
	if err := syscall.Kill(monitorPid(t, st.Pid), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := waitCode(t, "life-orphan"); code != 255 {
		t.Fatalf("wait after the monitor's SIGKILL: %d, want 255", code)
	}
	after := lifeRecord(t, id).State
	if after.Status != "exited" || after.Running || !strings.Contains(after.Error, "monitor") {
		t.Fatalf("repaired State: %+v", after)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !gone(st.Pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	checkNothingLeft(t, id, st.Pid)
	if r := dockerCmd(t, "rm", "life-orphan"); r.code != 0 {
		t.Fatalf("rm: %+v", r)
	}
	if _, err := os.Lstat(filepath.Join(storeDir, "containers", id)); !os.IsNotExist(err) {
		t.Errorf("container directory left: %v", err)
	}
	if n := mountsUnder(t, filepath.Join(storeDir, "containers")); n != 0 {
		t.Errorf("%d mounts left under the store's containers", n)
	}
}

// kill with SIGKILL returns once the container is down, as Docker
// Engine's does: right after it, inspect and ps show it exited by
// SIGKILL, never running, nor as one whose monitor was lost.
func TestDockerLifeKillThenInspect(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	for i := 0; i < 5; i++ {
		// On the default bridge, whose teardown comes before the monitor
		// notes the exit.
		dockerDetached(t, "life-killed", "alpine", "sleep", "100")
		dmr(t, "", "--store", storeDir, "kill", "life-killed")
		got := strings.TrimSpace(dmr(t, "", "--store", storeDir, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "life-killed"))
		if got != "exited 137" {
			t.Errorf("inspect right after kill: %q, want exited 137", got)
		}
		if got := strings.TrimSpace(dmr(t, "", "--store", storeDir, "ps", "-a", "--filter", "name=life-killed", "--format", "{{.Status}}")); !strings.HasPrefix(got, "Exited (137)") {
			t.Errorf("ps right after kill: %q, want Exited (137)", got)
		}
		if got := strings.TrimSpace(dmr(t, "", "--store", storeDir, "wait", "life-killed")); got != "137" {
			t.Errorf("wait after kill: %q, want 137", got)
		}
		dmr(t, "", "--store", storeDir, "rm", "life-killed")
	}
}

// A foreground run with a restart policy is Docker's: the client stays
// attached to the first run and exits with its code, and the policy
// goes on in the background, its later runs' output in the log; stop
// still ends it.
func TestDockerLifeRestartForeground(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", "life-fg-onfail", "life-fg-always") })
	r := dockerRun(t, "", "--name", "life-fg-onfail", "--restart", "on-failure:2", "alpine", "sh", "-c", "echo run; exit 3")
	if r.code != 3 || r.stdout != "run\n" {
		t.Fatalf("run --restart on-failure:2 in the foreground: want exit 3 and one run's output, got %+v", r)
	}
	id := strings.TrimSpace(dockerCmd(t, "inspect", "-f", "{{.Id}}", "life-fg-onfail").stdout)
	st := recordUntil(t, id, "exited after its retries", func(r lifeState) bool {
		return r.State.Status == "exited" && r.State.RestartCount == 2
	}).State
	if st.ExitCode != 3 {
		t.Fatalf("State after the retries: %+v", st)
	}
	log, _ := os.ReadFile(filepath.Join(storeDir, "containers", id, id+"-json.log"))
	if n := strings.Count(string(log), `"run\n"`); n != 2 {
		t.Fatalf("%d runs in the log, want the 2 restarts: %s", n, log)
	}

	// always: the foreground run ends with its first exit, the container
	// runs again, and stop is not undone.
	r = dockerRun(t, "", "--name", "life-fg-always", "--restart", "always", "alpine", "sh", "-c", "[ -e /again ] && exec sleep 100; touch /again; exit 0")
	if r.code != 0 {
		t.Fatalf("run --restart always in the foreground: %+v", r)
	}
	id = strings.TrimSpace(dockerCmd(t, "inspect", "-f", "{{.Id}}", "life-fg-always").stdout)
	recordUntil(t, id, "running again", func(r lifeState) bool { return r.State.Status == "running" && r.State.RestartCount == 1 })
	if r := dockerCmd(t, "stop", "-t", "1", "life-fg-always"); r.code != 0 {
		t.Fatalf("stop: %+v", r)
	}
	time.Sleep(500 * time.Millisecond)
	if st := lifeRecord(t, id).State; st.Status != "exited" || st.RestartCount != 1 {
		t.Fatalf("--restart always undid stop: %+v", st)
	}
}
