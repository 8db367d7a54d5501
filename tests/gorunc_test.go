package tests

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	runc "github.com/containerd/go-runc"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// These tests drive minirun through containerd's go-runc, the client
// containerd's shims use: minirun has to answer the way runc does.

func goRunc(t *testing.T) *runc.Runc {
	t.Helper()
	needRoot(t)
	return &runc.Runc{Command: minirun, Root: stateRoot(), LogFormat: runc.JSON, Log: filepath.Join(t.TempDir(), "log.json")}
}

// nullIO gives the container /dev/null-like files: pipes would stay open
// in the detached container and hang go-runc's wait for output.
func nullIO(t *testing.T) runc.IO {
	io, err := runc.NewNullIO()
	if err != nil {
		t.Fatal(err)
	}
	return io
}

func TestGoRuncLifecycle(t *testing.T) {
	needRoot(t)
	r := goRunc(t)
	ctx := context.Background()
	s := defaultSpec(t, "sleep", "100")
	id, bundle := containerID(t), writeBundle(t, s)
	pidFile := filepath.Join(t.TempDir(), "pid")
	if err := r.Create(ctx, id, bundle, &runc.CreateOpts{PidFile: pidFile, IO: nullIO(t)}); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { cleanUp(t, id) })
	pid, err := runc.ReadPidFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.State(ctx, id)
	if err != nil || c.Status != "created" || c.Pid != pid || c.Bundle != bundle || c.Created.IsZero() {
		t.Fatalf("state after create: %+v %v", c, err)
	}
	if err := r.Start(ctx, id); err != nil {
		t.Fatalf("start: %v", err)
	}
	if c, _ := r.State(ctx, id); c.Status != "running" {
		t.Fatalf("state after start: %+v", c)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) == 0 {
		t.Fatalf("list: %v %v", list, err)
	}

	// exec, foreground with output, then detached.
	var out bytes.Buffer
	pio := &bufIO{out: &out}
	proc := *s.Process
	proc.Args = []string{"sh", "-c", "echo exec-ok; cat /proc/1/comm"}
	if err := r.Exec(ctx, id, proc, &runc.ExecOpts{IO: pio}); err != nil {
		t.Fatalf("exec: %v", err)
	}
	if out.String() != "exec-ok\nsleep\n" {
		t.Fatalf("exec output %q", out.String())
	}
	proc.Args = []string{"sleep", "60"}
	execPid := filepath.Join(t.TempDir(), "exec.pid")
	if err := r.Exec(ctx, id, proc, &runc.ExecOpts{IO: nullIO(t), Detach: true, PidFile: execPid}); err != nil {
		t.Fatalf("exec --detach: %v", err)
	}
	pids, err := r.Ps(ctx, id)
	if err != nil || len(pids) != 2 {
		t.Fatalf("ps: %v %v", pids, err)
	}
	if _, err := r.Stats(ctx, id); err != nil {
		t.Fatalf("events --stats: %v", err)
	}

	if err := r.Pause(ctx, id); err != nil {
		t.Fatalf("pause: %v", err)
	}
	if c, _ := r.State(ctx, id); c.Status != "paused" {
		t.Fatalf("state after pause: %+v", c)
	}
	if err := r.Resume(ctx, id); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if err := r.Kill(ctx, id, 9, &runc.KillOpts{All: true}); err != nil {
		t.Fatalf("kill: %v", err)
	}
	waitStopped(t, r, id)
	if err := r.Delete(ctx, id, &runc.DeleteOpts{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	checkNothingLeft(t, id, pid)

	// Errors reach go-runc's caller, and the json log as containerd reads it.
	if _, err := r.State(ctx, id); err == nil {
		t.Fatal("state of a deleted container succeeded")
	}
	log, _ := os.ReadFile(r.Log)
	mustContain(t, "json log", string(log), `"level":"error"`)
}

func waitStopped(t *testing.T, r *runc.Runc, id string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := r.State(context.Background(), id); err == nil && c.Status == "stopped" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("container never stopped")
}

func TestGoRuncRunDetachedAndForeground(t *testing.T) {
	needRoot(t)
	r := goRunc(t)
	ctx := context.Background()
	id := containerID(t)
	if _, err := r.Run(ctx, id, writeBundle(t, defaultSpec(t, "sleep", "100")), &runc.CreateOpts{Detach: true, IO: nullIO(t)}); err != nil {
		t.Fatalf("run --detach: %v", err)
	}
	t.Cleanup(func() { cleanUp(t, id) })
	if c, err := r.State(ctx, id); err != nil || c.Status != "running" {
		t.Fatalf("state: %+v %v", c, err)
	}
	if err := r.Delete(ctx, id, &runc.DeleteOpts{Force: true}); err != nil {
		t.Fatalf("delete --force: %v", err)
	}
	checkNothingLeft(t, id, 0)

	code, err := r.Run(ctx, id, writeBundle(t, defaultSpec(t, "sh", "-c", "exit 3")), &runc.CreateOpts{IO: nullIO(t)})
	if code != 3 {
		t.Fatalf("foreground run: exit %d (%v), want 3", code, err)
	}
	checkNothingLeft(t, id, 0)
}

// A container with process.terminal gets a pty from its own devpts, whose
// master arrives on the console socket.
func TestGoRuncConsoleSocket(t *testing.T) {
	needRoot(t)
	r := goRunc(t)
	ctx := context.Background()
	s := defaultSpec(t, "sh", "-c", "tty; stty size; read line; echo got:$line")
	s.Process.Terminal = true
	s.Process.ConsoleSize = &specs.Box{Height: 30, Width: 100}
	id := containerID(t)
	con := startWithConsole(t, r, id, s)
	if _, err := con.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got := readUntil(con, "got:hello")
	mustContain(t, "tty", got, "/dev/pts/0")
	mustContain(t, "size", got, "30 100")
	mustContain(t, "stdin", got, "got:hello")
	waitStopped(t, r, id)
	if err := r.Delete(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
}

// bufIO is a runc.IO whose stdout goes to a buffer.
type bufIO struct{ out io.Writer }

func (b *bufIO) Close() error          { return nil }
func (b *bufIO) Stdin() io.WriteCloser { return nil }
func (b *bufIO) Stdout() io.ReadCloser { return nil }
func (b *bufIO) Stderr() io.ReadCloser { return nil }
func (b *bufIO) Set(cmd *exec.Cmd)     { cmd.Stdout = b.out }

// The pty slave belongs to the process's user, as runc leaves it, so a
// process that is not root can reopen its terminal; its group stays tty.
func TestGoRuncConsoleOwnedByUser(t *testing.T) {
	needRoot(t)
	r := goRunc(t)
	s := defaultSpec(t, "sh", "-c", "stat -c owner=%u:%g $(tty); echo reopened >/dev/tty && echo done")
	s.Process.Terminal = true
	s.Process.User = specs.User{UID: 1000, GID: 1000}
	id := containerID(t)
	out := readUntil(startWithConsole(t, r, id, s), "done")
	mustContain(t, "pty owner", out, "owner=1000:5") // devpts's gid=5 stays
	mustContain(t, "reopened /dev/tty", out, "reopened")
	waitStopped(t, r, id)
}

// startWithConsole creates s as id through go-runc with a console
// socket, starts it, and returns the pty master it received (closed, and
// the container cleaned up, when the test ends).
func startWithConsole(t *testing.T, r *runc.Runc, id string, s *specs.Spec) io.ReadWriter {
	t.Helper()
	ctx := context.Background()
	sock, err := runc.NewTempConsoleSocket()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	done := make(chan error, 1)
	go func() {
		done <- r.Create(ctx, id, writeBundle(t, s), &runc.CreateOpts{ConsoleSocket: sock, IO: nullIO(t)})
	}()
	con, err := sock.ReceiveMaster()
	if err != nil {
		t.Fatalf("receive pty master: %v", err)
	}
	t.Cleanup(func() { con.Close() })
	if err := <-done; err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { cleanUp(t, id) })
	if err := r.Start(ctx, id); err != nil {
		t.Fatalf("start: %v", err)
	}
	return con
}

// readUntil reads con until what it printed holds want, for at most 5 s.
func readUntil(con io.Reader, want string) string {
	var out strings.Builder
	buf := make([]byte, 512)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), want) && time.Now().Before(deadline) {
		n, err := con.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return out.String()
}
