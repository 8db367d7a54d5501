package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Each hook runs at its point, in its namespace, and sees the state of
// that moment.
func TestHooksEachAtItsPoint(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	s := defaultSpec(t, "sh", "-c", "ls /hooks > /hooks/process.seen; exec sleep 100")
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/hooks", Type: "bind", Source: dir, Options: []string{"rbind"}})
	s.Hooks = &specs.Hooks{
		Prestart:        []specs.Hook{recordHook(dir, "prestart")}, //nolint:staticcheck // still in the spec
		CreateRuntime:   []specs.Hook{recordHook(dir, "createRuntime")},
		CreateContainer: []specs.Hook{recordHook(dir, "createContainer")},
		StartContainer:  []specs.Hook{recordHook("/hooks", "startContainer")},
		Poststart:       []specs.Hook{recordHook(dir, "poststart")},
		Poststop:        []specs.Hook{recordHook(dir, "poststop")},
	}
	hostNS, _ := os.Readlink("/proc/self/ns/mnt")
	id, bundle := createContainer(t, s)
	st := stateOf(t, id)

	for _, kind := range []string{"prestart", "createRuntime", "createContainer"} {
		r := readHook(t, dir, kind)
		if r.state.Status != specs.StateCreating || r.state.Pid != st.Pid || r.state.ID != id || r.state.Bundle != bundle {
			t.Errorf("%s: state %+v, want creating with pid %d", kind, r.state, st.Pid)
		}
		inHost := r.ns == hostNS
		if wantHost := kind != "createContainer"; inHost != wantHost {
			t.Errorf("%s ran in mount ns %s (host %s)", kind, r.ns, hostNS)
		}
	}
	for _, kind := range []string{"startContainer", "poststart", "poststop"} {
		if _, err := os.Stat(filepath.Join(dir, kind+".json")); err == nil {
			t.Fatalf("%s ran at create", kind)
		}
	}

	mr(t, "start", id)
	waitFile(t, filepath.Join(dir, "process.seen"))
	sc := readHook(t, dir, "startContainer")
	if sc.ns == hostNS || sc.state.Pid != st.Pid {
		t.Errorf("startContainer: ns %s, state %+v", sc.ns, sc.state)
	}
	if seen, _ := os.ReadFile(filepath.Join(dir, "process.seen")); !strings.Contains(string(seen), "startContainer.json") {
		t.Errorf("the process started before startContainer: it saw %q", seen)
	}
	waitFile(t, filepath.Join(dir, "poststart.json"))
	if ps := readHook(t, dir, "poststart"); ps.state.Status != specs.StateRunning || ps.ns != hostNS {
		t.Errorf("poststart: %+v in %s", ps.state, ps.ns)
	}
	if _, err := os.Stat(filepath.Join(dir, "poststop.json")); err == nil {
		t.Fatal("poststop ran before delete")
	}
	mr(t, "delete", "--force", id)
	if p := readHook(t, dir, "poststop"); p.state.Status != specs.StateStopped || p.state.ID != id || p.ns != hostNS {
		t.Errorf("poststop: %+v in %s", p.state, p.ns)
	}
	checkNothingLeft(t, id, st.Pid)
}

// A failing createRuntime hook fails create and leaves nothing; a failing
// poststart one is only a warning.
func TestHooksFailures(t *testing.T) {
	needRoot(t)
	fail := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hook-broke >&2; exit 3"}}
	s := defaultSpec(t, "true")
	s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{fail}}
	id := containerID(t)
	r := runMinirun(t, "", "create", "--bundle", writeBundle(t, s), id) // fails: nothing keeps the pipes
	if r.code != exitRunc || !strings.Contains(r.stderr, "createRuntime") || !strings.Contains(r.stderr, "hook-broke") {
		t.Fatalf("create with a failing createRuntime hook: %+v", r)
	}
	checkNothingLeft(t, id, 0)

	s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{fail}}
	checkFailure(t, runSpec(t, s, ""), exitRunc, "createContainer", "hook-broke")
	checkNothingLeft(t, id, 0)

	s = defaultSpec(t, "echo", "ran")
	s.Hooks = &specs.Hooks{Poststart: []specs.Hook{fail}, Poststop: []specs.Hook{fail}}
	r = runSpec(t, s, "")
	if r.code != 0 || r.stdout != "ran\n" || !strings.Contains(r.stderr, "warning") {
		t.Fatalf("failing poststart/poststop hooks: %+v", r)
	}
}

func TestHooksTimeout(t *testing.T) {
	needRoot(t)
	one := 1
	s := defaultSpec(t, "true")
	s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "30"}, Timeout: &one}}}
	begin := time.Now()
	r := runSpec(t, s, "")
	if took := time.Since(begin); took > 10*time.Second {
		t.Fatalf("timeout not honoured: took %s", took)
	}
	checkFailure(t, r, exitRunc, "createRuntime", "timed out")
}
