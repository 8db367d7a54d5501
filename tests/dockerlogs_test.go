package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minirun/minirun/docker/jsonlog"
)

// logsRun is `minirun --store STORE logs ARGS...`.
func logsRun(t *testing.T, args ...string) result {
	t.Helper()
	return runMinirunWithin(t, time.Minute, "", append([]string{"--store", storeDir, "logs"}, args...)...)
}

// detached starts `run -d ARGS...` and returns its id; the cleanup removes
// the container.
func detached(t *testing.T, args ...string) string {
	t.Helper()
	r := dockerRun(t, "", append([]string{"-d"}, args...)...)
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 {
		t.Fatalf("run -d %v: %+v", args, r)
	}
	t.Cleanup(func() { runMinirun(t, "", "--store", storeDir, "rm", "-f", id) })
	return id
}

func logPath(id string) string {
	return filepath.Join(storeDir, "containers", id, id+"-json.log")
}

// writeLog writes lines to container id's json-file log, as its monitor
// would: odd lines on stderr.
func writeLog(t *testing.T, w *jsonlog.Writer, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		stream := "stdout"
		if i%2 == 1 {
			stream = "stderr"
		}
		if err := w.Copy(stream, strings.NewReader(fmt.Sprintf("%s line %d\n", stream, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// linesOf is what logs prints of lines from..to-1 on one stream.
func linesOf(stream string, from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		if (i%2 == 1) == (stream == "stderr") {
			fmt.Fprintf(&b, "%s line %d\n", stream, i)
		}
	}
	return b.String()
}

// logs reads a real container's json-file log, rotated files included:
// the streams apart, --tail from the end, -t, --since/--until, names and
// short ids, and -f until the container is killed. The log is written by
// the test through docker/jsonlog, standing in for the container monitor
// that copies a detached container's output into it (helper "life"'s
// branch; TestDockerLogsOfRunDetached covers that path).
func TestDockerLogs(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	id := detached(t, "--name", "logs1", "--log-opt", "max-size=2k", "--log-opt", "max-file=50", "alpine", "sleep", "300")

	// The record keeps the log's configuration.
	var rec struct {
		HostConfig struct {
			LogConfig struct {
				Type   string
				Config map[string]string
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(storeDir, "containers", id, "container.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if lc := rec.HostConfig.LogConfig; lc.Type != "json-file" || lc.Config["max-size"] != "2k" || lc.Config["max-file"] != "50" {
		t.Errorf("record's LogConfig = %+v, want json-file with max-size 2k, max-file 50", lc)
	}

	w, err := jsonlog.Open(logPath(id), jsonlog.Options{MaxSize: 2048, MaxFile: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	writeLog(t, w, 0, 200)
	if _, err := os.Stat(logPath(id) + ".2"); err != nil {
		t.Fatalf("the log did not rotate: %v", err)
	}

	r := logsRun(t, "logs1")
	if r.code != 0 || r.stdout != linesOf("stdout", 0, 200) || r.stderr != linesOf("stderr", 0, 200) {
		t.Fatalf("logs: code %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// Both streams on one pipe (2>&1) keep the log's order.
	var both lockedBuffer
	cmd := exec.Command(minirun, "--store", storeDir, "logs", "--tail", "20", "logs1")
	cmd.Stdout, cmd.Stderr = &both, &both
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := 180; i < 200; i++ {
		want.WriteString(linesOf("stdout", i, i+1) + linesOf("stderr", i, i+1))
	}
	if both.String() != want.String() {
		t.Fatalf("logs 2>&1: %q, want %q", both.String(), want.String())
	}
	r = logsRun(t, "--tail", "5", id[:12])
	if r.code != 0 || r.stdout != linesOf("stdout", 195, 200) || r.stderr != linesOf("stderr", 195, 200) {
		t.Fatalf("logs --tail 5: %+v", r)
	}
	r = logsRun(t, "-n", "0", "logs1")
	if r.code != 0 || r.stdout+r.stderr != "" {
		t.Fatalf("logs -n 0: %+v", r)
	}
	r = logsRun(t, "-t", "--tail", "1", "logs1")
	mustMatch(t, "logs -t", r.stderr, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stderr line 199\n$`)
	r = logsRun(t, "--since", "1h", "--until", "2000-01-01", "logs1")
	if r.code != 0 || r.stdout+r.stderr != "" {
		t.Fatalf("logs with until before since: %+v", r)
	}
	r = logsRun(t, "--since", "1h", "--tail", "2", "logs1")
	if r.code != 0 || r.stdout+r.stderr != linesOf("stdout", 198, 200)+linesOf("stderr", 198, 200) {
		t.Fatalf("logs --since 1h --tail 2: %+v", r)
	}

	// -f prints what is added, across rotation, and ends when the
	// container does.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd = exec.CommandContext(ctx, minirun, "--store", storeDir, "logs", "-f", "--tail", "2", "logs1")
	var out, errb lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &errb, linesOf("stderr", 198, 200))
	writeLog(t, w, 200, 300)
	waitOutput(t, &out, linesOf("stdout", 198, 300))
	if k := runMinirun(t, "", "kill", id, "KILL"); k.code != 0 {
		t.Fatalf("kill: %+v", k)
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("logs -f did not end when the container was killed (stdout %d bytes)", out.Len())
	}
	if err != nil || out.String() != linesOf("stdout", 198, 300) || errb.String() != linesOf("stderr", 198, 300) {
		t.Fatalf("logs -f: %v\nstdout %q\nstderr %q", err, out.String(), errb.String())
	}
}

// lockedBuffer is a bytes.Buffer a command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Len() int { return len(l.String()) }

// waitOutput waits until b holds want (logs -f has printed it), failing
// the test after a minute.
func waitOutput(t *testing.T, b *lockedBuffer, want string) {
	t.Helper()
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if b.String() == want {
			return
		}
	}
	t.Fatalf("logs -f printed %q, want %q", b.String(), want)
}

// logs of a container with no log to read, or none at all, and bad
// flags: one line, exit 125, and a bad --log-opt leaves no container.
func TestDockerLogsBadInput(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	checkFailure(t, logsRun(t, "no-such-container"), exitDocker, "no such container")

	if r := dockerRun(t, "", "--name", "logsfg", "alpine", "true"); r.code != 0 {
		t.Fatalf("foreground run: %+v", r)
	}
	t.Cleanup(func() { runMinirun(t, "", "--store", storeDir, "rm", "-f", "logsfg") })
	checkFailure(t, logsRun(t, "logsfg"), exitDocker, "logs logsfg", "no log")

	detached(t, "--name", "logsnone", "--log-driver", "none", "alpine", "true")
	checkFailure(t, logsRun(t, "logsnone"), exitDocker, "does not support reading")

	checkFailure(t, logsRun(t, "--tail", "many", "logsfg"), exitDocker, "--tail")
	checkFailure(t, logsRun(t, "--since", "last week", "logsfg"), exitDocker, "--since")

	before := len(containerDirs(t))
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--log-opt", "max-size=lots"}, "max-size"},
		{[]string{"--log-opt", "max-file=3"}, "max-file"},
		{[]string{"--log-opt", "colour=red"}, "colour"},
		{[]string{"--log-driver", "syslog"}, "--log-driver"},
	} {
		r := dockerRun(t, "", append(append([]string{"-d"}, c.flags...), "alpine", "true")...)
		checkFailure(t, r, exitDocker, c.want)
		if n := len(containerDirs(t)); n != before {
			t.Errorf("run %v left a container directory", c.flags)
		}
	}
}

// run -d keeps the container's output as a json-file log that logs
// reads, stdout and stderr apart, and logs -f ends when it exits. This
// needs the container monitor (helper "life"'s branch), which copies the
// output into the log; without it run -d writes container.log, and the
// test says so and skips.
func TestDockerLogsOfRunDetached(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	id := detached(t, "--name", "logs2", "alpine", "sh", "-c", "echo out 1; echo err 1 >&2; sleep 1; echo out 2")
	skipWithoutMonitor(t, id)
	r := logsRun(t, "-f", "logs2")
	if r.code != 0 || r.stdout != "out 1\nout 2\n" || r.stderr != "err 1\n" {
		t.Fatalf("logs -f of run -d: %+v", r)
	}
}

// skipWithoutMonitor skips a test of run -d's log when run -d still
// writes container.log (before the container monitor).
func skipWithoutMonitor(t *testing.T, id string) {
	t.Helper()
	if _, err := os.Stat(logPath(id)); err != nil && exists(filepath.Join(storeDir, "containers", id, "container.log")) {
		t.Skip("run -d writes container.log, not a json-file log: that comes with the container monitor")
	}
}

// run -d's log is bounded by --log-opt max-size and max-file, and logs
// reads it whole across the rotated files; --log-driver none keeps no
// log. Like TestDockerLogsOfRunDetached, this needs the container
// monitor.
func TestDockerLogsRotationOfRunDetached(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	id := detached(t, "--name", "logs3", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "alpine",
		"sh", "-c", "i=0; while [ $i -lt 500 ]; do echo line $i; i=$((i+1)); done")
	skipWithoutMonitor(t, id)
	// -f ends when the container has exited and its output is all in.
	if r := logsRun(t, "-f", "--tail", "3", "logs3"); r.code != 0 || r.stdout != "line 497\nline 498\nline 499\n" {
		t.Fatalf("logs -f --tail 3: %+v", r)
	}
	for _, p := range []string{logPath(id), logPath(id) + ".1", logPath(id) + ".2"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("max-file=3: %v", err)
		}
		if st.Size() > 1024+200 {
			t.Errorf("%s is %d bytes with max-size=1k", filepath.Base(p), st.Size())
		}
	}
	if exists(logPath(id) + ".3") {
		t.Error("more than max-file=3 files kept")
	}
	r := logsRun(t, "logs3")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) < 10 || len(lines) >= 500 {
		t.Fatalf("logs of a rotated log: %d lines, %+v", len(lines), r.stderr)
	}
	first := 500 - len(lines)
	for i, l := range lines {
		if l != fmt.Sprintf("line %d", first+i) {
			t.Fatalf("logs of a rotated log: line %d is %q, want the last %d lines in order", i, l, len(lines))
		}
	}

	id = detached(t, "--name", "logs4", "--log-driver", "none", "alpine", "echo", "hi")
	checkFailure(t, logsRun(t, "logs4"), exitDocker, "does not support reading")
	if exists(logPath(id)) {
		t.Error("--log-driver none made a log")
	}
}
