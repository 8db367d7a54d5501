package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	api "github.com/minirun/minirun"
	"github.com/minirun/minirun/docker"
)

// The Go API, as a harness would use it: no minirun binary involved, the
// inits are this test binary re-executed (TestMain calls docker.Init,
// minirun.Init's superset).

func apiRuntime() *api.Runtime { return &api.Runtime{Root: stateRoot()} }

// apiBundle is the Config of a new container id for s, as a harness
// makes it: read from its bundle and validated once.
func apiBundle(t *testing.T, id string, s *specs.Spec) api.Config {
	t.Helper()
	cfg, err := api.Bundle(id, writeBundle(t, s))
	if err != nil {
		t.Fatalf("Bundle: %v", err)
	}
	return cfg
}

func TestAPIRun(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "cat; echo out; echo err >&2; exit 4")
	var out, errb bytes.Buffer
	code, err := api.Run(context.Background(), apiRuntime(), apiBundle(t, containerID(t), s),
		api.IO{Stdin: strings.NewReader("in\n"), Stdout: &out, Stderr: &errb})
	if err != nil || code != 4 || out.String() != "in\nout\n" || errb.String() != "err\n" {
		t.Fatalf("Run: code %d, err %v, stdout %q, stderr %q", code, err, out.String(), errb.String())
	}
	c, err := apiRuntime().Load(containerID(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.State(); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("the container outlived Run: %v", err)
	}
	// Docker's codes, by class.
	s = defaultSpec(t, "nosuchcommand")
	code, err = api.Run(context.Background(), apiRuntime(), apiBundle(t, containerID(t), s), api.IO{})
	if !errors.Is(err, api.ErrCommandNotFound) || api.ExitCode(err) != 127 {
		t.Fatalf("a missing command: code %d, %v", code, err)
	}
	s = defaultSpec(t, "true")
	s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_NOPE")
	if _, err := api.Bundle(containerID(t), writeBundle(t, s)); !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("an unknown capability: %v", err)
	}
}

func TestAPILifecycle(t *testing.T) {
	needRoot(t)
	rt := apiRuntime()
	ctx := context.Background()
	id := containerID(t)
	c, err := rt.Create(apiBundle(t, id, defaultSpec(t, "sleep", "100")), api.IO{}, api.Lifecycle{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(true) })
	if st, err := c.State(); err != nil || st.Status != specs.StateCreated {
		t.Fatalf("after Create: %+v %v", st, err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := &specs.Process{Args: []string{"cat", "/proc/1/comm"}, Cwd: "/", Env: []string{"PATH=/bin"}}
	if code, err := api.Exec(ctx, c, p, api.IO{Stdout: &out}); err != nil || code != 0 || out.String() != "sleep\n" {
		t.Fatalf("Exec: %d %v %q", code, err, out.String())
	}
	// The container's PID 1 has no SIGTERM handler, so the kernel would
	// drop a SIGTERM; SIGKILL from outside always lands.
	if err := c.Kill(syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if code, err := api.Wait(ctx, c); err != nil || code != 128+int(syscall.SIGKILL) {
		t.Fatalf("Wait after SIGKILL: %d %v", code, err)
	}
	if err := c.Kill(syscall.SIGTERM, false); !errors.Is(err, api.ErrNotRunning) && !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("Kill of a finished container: %v", err)
	}
}

// A context that ends kills the container and says so.
func TestAPIContextKills(t *testing.T) {
	needRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, err := api.Run(ctx, apiRuntime(), apiBundle(t, containerID(t), defaultSpec(t, "sleep", "100")), api.IO{})
	if !errors.Is(err, context.DeadlineExceeded) || code != 128+int(syscall.SIGKILL) {
		t.Fatalf("Run past its deadline: code %d, %v", code, err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("the container was not killed: Run took %v", time.Since(start))
	}
}

// Create then Delete, without Wait, leaves no child of this process: the
// init is reaped and its reaper stopped.
func TestAPICreateDeleteLeavesNoChild(t *testing.T) {
	needRoot(t)
	before := len(childrenOf(os.Getpid()))
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("%s-%d", containerID(t), i)
		c, err := apiRuntime().Create(apiBundle(t, id, defaultSpec(t, "true")), api.IO{}, api.Lifecycle{})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if err := c.Delete(false); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if after := childrenOf(os.Getpid()); len(after) != before {
		t.Fatalf("children of the test process: %d before, %d after three Create+Delete: %v", before, len(after), after)
	}
}

// An image through the Go API, as `minirun run --rm IMAGE` runs it: the
// seed's second and third scenes, and the errors a harness tests by class.
func TestAPIRunImage(t *testing.T) {
	needRoot(t)
	store := imgStore(t)
	if _, err := store.Import("busybox", rootfs); err != nil {
		t.Fatal(err)
	}
	rt := apiRuntime()
	ctx := context.Background()
	runImage := func(ctx context.Context, o *docker.RunOptions, stdio api.IO) (string, int, error) {
		res, err := docker.Run(ctx, rt, store, o, stdio)
		if err != nil && res.Status == 0 {
			res.Status = api.ExitCode(err)
		}
		return res.ID, res.Status, err
	}
	var out, errb bytes.Buffer
	id, code, err := runImage(ctx, &docker.RunOptions{Image: "busybox", Cmd: []string{"unshare", "--user", "true"}, Remove: true},
		api.IO{Stdout: &out, Stderr: &errb})
	if err != nil || code == 0 || !strings.Contains(errb.String(), "Operation not permitted") {
		t.Fatalf("unshare under Docker's default profile: id %q, code %d, err %v, stderr %q", id, code, err, errb.String())
	}
	errb.Reset()
	_, code, err = runImage(ctx, &docker.RunOptions{Image: "busybox", Cmd: []string{"sh", "-c", "unshare --user true && echo ok; exit 3"},
		Remove: true, SecurityOpts: []string{"seccomp=unconfined"}}, api.IO{Stdout: &out, Stderr: &errb})
	if err != nil || code != 3 || !strings.HasSuffix(out.String(), "ok\n") {
		t.Fatalf("unconfined: code %d, err %v, stdout %q, stderr %q", code, err, out.String(), errb.String())
	}
	if ents, _ := os.ReadDir(store.ContainersDir()); len(ents) != 0 {
		t.Errorf("Remove left %d containers in the store", len(ents))
	}
	if _, code, err := runImage(ctx, &docker.RunOptions{Image: "nosuchimage", Cmd: []string{"true"}}, api.IO{}); !errors.Is(err, api.ErrNotFound) || code != 125 {
		t.Errorf("a missing image: %d %v", code, err)
	}
	if _, code, err := runImage(ctx, &docker.RunOptions{Image: "busybox", Cmd: []string{"true"}, Remove: true, Detach: true}, api.IO{}); !errors.Is(err, api.ErrInvalid) || code != 125 {
		t.Errorf("--rm with -d: %d %v", code, err)
	}
	if _, code, err := runImage(ctx, &docker.RunOptions{Image: "busybox", Cmd: []string{"nosuchcommand"}, Remove: true}, api.IO{}); !errors.Is(err, api.ErrCommandNotFound) || code != 127 {
		t.Errorf("a missing command: %d %v", code, err)
	}
	// A deadline kills the container, and Remove still takes it away.
	tctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	start := time.Now()
	if _, code, err := runImage(tctx, &docker.RunOptions{Image: "busybox", Cmd: []string{"sleep", "100"}, Remove: true}, api.IO{}); !errors.Is(err, context.DeadlineExceeded) || code != 128+int(syscall.SIGKILL) || time.Since(start) > 20*time.Second {
		t.Errorf("a run past its deadline: %d %v after %v", code, err, time.Since(start))
	}
	if ents, _ := os.ReadDir(store.ContainersDir()); len(ents) != 0 {
		t.Errorf("failed runs left %d containers in the store", len(ents))
	}
}
