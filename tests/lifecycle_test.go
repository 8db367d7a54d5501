package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// These tests drive the runc-style commands through the CLI, the way
// engines do: create, start, state, exec, kill, pause, resume, delete.

func TestLifecycleCreateStartKillDelete(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "echo started > /out/started; exec sleep 100")
	out := outDir(t, s)
	s.Annotations = map[string]string{"org.example/test": "yes"}
	pidFile := filepath.Join(t.TempDir(), "pid")
	id, bundle := createContainer(t, s, "--pid-file", pidFile)

	st := wantStatus(t, id, specs.StateCreated)
	data, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(st.Pid) {
		t.Fatalf("pid file %q (%v), state pid %d", data, err, st.Pid)
	}
	if st.Bundle != bundle || st.ID != id || st.Version == "" || st.Annotations["org.example/test"] != "yes" {
		t.Fatalf("state: %+v", st)
	}
	// Created: everything is set up, but the user's process hasn't run.
	if _, err := os.Stat(filepath.Join(out, "started")); err == nil {
		t.Fatal("process ran before start")
	}
	if cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", st.Pid)); !strings.Contains(string(cg), "/minirun/"+id) {
		t.Fatalf("init not in its cgroup: %s", cg)
	}
	mustContain(t, "list", mr(t, "list"), id)

	mr(t, "start", id)
	wantStatus(t, id, specs.StateRunning)
	waitFile(t, filepath.Join(out, "started"))
	if r := runMinirun(t, "", "start", id); r.code == 0 {
		t.Fatal("second start succeeded")
	}
	if r := runMinirun(t, "", "delete", id); r.code == 0 {
		t.Fatal("delete of a running container without --force succeeded")
	}
	mr(t, "kill", id, "KILL")
	wantStatus(t, id, specs.StateStopped)
	mr(t, "delete", id)
	checkNothingLeft(t, id, st.Pid)
	if r := runMinirun(t, "", "state", id); r.code == 0 {
		t.Fatal("state of a deleted container succeeded")
	}
}

func TestLifecycleRunDetachExecPauseResume(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sleep", "100")
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	st := wantStatus(t, id, specs.StateRunning)

	// exec joins every namespace: same pid namespace (sees sleep as 1),
	// same hostname, same cgroup; -e, --cwd and --user apply.
	r := runMinirun(t, "", "exec", "-e", "FOO=bar", "--cwd", "/tmp", "--user", "1000:1000", id,
		"sh", "-c", "cat /proc/1/comm; hostname; echo $FOO; pwd; id -u; grep -c . /proc/self/cgroup >/dev/null && echo ok")
	if r.code != 0 || r.stdout != "sleep\nminirun\nbar\n/tmp\n1000\nok\n" {
		t.Fatalf("exec: %+v", r)
	}
	if r := runMinirun(t, "", "exec", id, "sh", "-c", "exit 7"); r.code != 7 {
		t.Fatalf("exec exit code: %+v", r)
	}
	// runc's exec exits 255 when it can't run the process (Docker's
	// exec would say 127).
	if r := runMinirun(t, "", "exec", id, "nosuchcmd"); r.code != exitRuncExec || !strings.Contains(r.stderr, `"nosuchcmd"`) {
		t.Fatalf("exec of a missing command: %+v, want exit %d naming it", r, exitRuncExec)
	}
	// A detached exec lands in the container's cgroup.
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	mrDetached(t, "exec", "-d", "--pid-file", pidFile, id, "sleep", "50")
	epid, _ := strconv.Atoi(waitFile(t, pidFile))
	var pids []int
	json.Unmarshal([]byte(mr(t, "ps", "-f", "json", id)), &pids)
	if len(pids) != 2 || !containsInt(pids, epid) || !containsInt(pids, st.Pid) {
		t.Fatalf("ps: %v, want init %d and exec %d", pids, st.Pid, epid)
	}
	mustContain(t, "ps table", mr(t, "ps", id), "sleep 50")

	mr(t, "pause", id)
	wantStatus(t, id, "paused")
	if state, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", st.Pid)); !strings.Contains(string(state), ") D ") && !strings.Contains(string(state), ") S ") {
		t.Logf("init stat while frozen: %s", state)
	}
	mr(t, "resume", id)
	wantStatus(t, id, specs.StateRunning)

	mr(t, "kill", "--all", id, "9")
	wantStatus(t, id, specs.StateStopped)
	mr(t, "delete", id)
	checkNothingLeft(t, id, st.Pid)
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestLifecycleDeleteForce(t *testing.T) {
	needRoot(t)
	// No pid namespace: the init's death would not take the others along,
	// so delete must kill the whole cgroup.
	s := defaultSpec(t, "sh", "-c", "sleep 100 & sleep 100 & exec sleep 100")
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.UTSNamespace}}
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	st := wantStatus(t, id, specs.StateRunning)
	mr(t, "pause", id)
	time.Sleep(50 * time.Millisecond)
	var pids []int
	json.Unmarshal([]byte(mr(t, "ps", "-f", "json", id)), &pids)
	if len(pids) != 3 {
		t.Fatalf("ps: %v", pids)
	}
	mr(t, "delete", "--force", id)
	for _, p := range pids {
		if !gone(p) {
			t.Errorf("pid %d survived delete --force", p)
		}
	}
	checkNothingLeft(t, id, st.Pid)
}

func TestLifecycleKillSignals(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "trap 'echo usr1 > /out/sig' USR1; trap 'echo hup >> /out/sig; exit 3' HUP; echo ready > /out/ready; while :; do sleep 0.05; done")
	out := outDir(t, s)
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	wantStatus(t, id, specs.StateRunning)
	// Running means the shell has started, not that its traps are set: a
	// USR1 before them would kill it.
	waitFile(t, filepath.Join(out, "ready"))
	mr(t, "kill", id, "SIGUSR1")
	waitFile(t, filepath.Join(out, "sig"))
	mr(t, "kill", id, "hup")
	wantStatus(t, id, specs.StateStopped)
	if data, _ := os.ReadFile(filepath.Join(out, "sig")); string(data) != "usr1\nhup\n" {
		t.Fatalf("signals seen: %q", data)
	}
	if r := runMinirun(t, "", "kill", id, "BOGUS"); r.code == 0 {
		t.Fatal("unknown signal accepted")
	}
	if r := runMinirun(t, "", "kill", id, "KILL"); r.code != exitRunc || !strings.Contains(r.stderr, "not running") {
		t.Fatalf("kill of a stopped container: %+v", r)
	}
	mr(t, "delete", id)
}

// Commands on one container from many processes at once: the flock
// serialises writers, readers always see whole JSON.
func TestLifecycleConcurrentCommands(t *testing.T) {
	needRoot(t)
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "100")), id)
	t.Cleanup(func() { cleanUp(t, id) })
	wantStatus(t, id, specs.StateRunning)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < 10; i++ {
		wg.Add(3)
		go func() {
			defer wg.Done()
			out, err := exec.Command(minirun, "state", id).Output()
			var st ociState
			if err != nil || json.Unmarshal(out, &st) != nil {
				errs <- fmt.Sprintf("state: %v %q", err, out)
			}
		}()
		go func() {
			defer wg.Done()
			if out, err := exec.Command(minirun, "pause", id).CombinedOutput(); err != nil && !strings.Contains(string(out), "not running") {
				errs <- fmt.Sprintf("pause: %v %s", err, out)
			}
		}()
		go func() {
			defer wg.Done()
			if out, err := exec.Command(minirun, "resume", id).CombinedOutput(); err != nil && !strings.Contains(string(out), "not paused") {
				errs <- fmt.Sprintf("resume: %v %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	runMinirun(t, "", "resume", id)
	mr(t, "delete", "--force", id)
	checkNothingLeft(t, id, 0)
}

// A foreground run puts the container in /minirun/ID and deletes it (and
// the cgroup) when the process exits. With a cgroup namespace the
// container sees its own cgroup as the root.
func TestLifecycleForegroundRunCleansUp(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "grep memory /proc/self/cgroup; exit 4")
	r := runSpec(t, s, "")
	if r.code != 4 || !strings.HasSuffix(r.stdout, ":memory:/\n") {
		t.Fatalf("run with a cgroup namespace: %+v", r)
	}
	s.Linux.Namespaces = s.Linux.Namespaces[:len(s.Linux.Namespaces)-1] // no cgroup namespace
	r = runSpec(t, s, "")
	if r.code != 4 || !strings.HasSuffix(r.stdout, ":memory:/minirun/"+containerID(t)+"\n") {
		t.Fatalf("run without a cgroup namespace: %+v", r)
	}
	checkNothingLeft(t, containerID(t), 0)
}

// Namespaces given by path are joined, mount and network included.
func TestLifecycleJoinNamespacesByPath(t *testing.T) {
	needRoot(t)
	a := defaultSpec(t, "sh", "-c", "echo from-a > /tmp/mark; exec sleep 100")
	idA := containerID(t) + "-a"
	mrDetached(t, "run", "-d", "-b", writeBundle(t, a), idA)
	t.Cleanup(func() { cleanUp(t, idA) })
	stA := wantStatus(t, idA, specs.StateRunning)
	time.Sleep(100 * time.Millisecond)

	b := defaultSpec(t, "sh", "-c", "cat /tmp/mark; readlink /proc/self/ns/net")
	b.Mounts = nil // the joined mount namespace is already set up
	b.Linux.MaskedPaths, b.Linux.ReadonlyPaths = nil, nil
	b.Linux.Namespaces = []specs.LinuxNamespace{
		{Type: specs.MountNamespace, Path: fmt.Sprintf("/proc/%d/ns/mnt", stA.Pid)},
		{Type: specs.NetworkNamespace, Path: fmt.Sprintf("/proc/%d/ns/net", stA.Pid)},
		{Type: specs.UTSNamespace, Path: fmt.Sprintf("/proc/%d/ns/uts", stA.Pid)},
		// The joined /proc is A's: only in A's pid namespace is /proc/self ours.
		{Type: specs.PIDNamespace, Path: fmt.Sprintf("/proc/%d/ns/pid", stA.Pid)},
	}
	b.Root.Path = "/"
	r := runSpec(t, b, "")
	netA, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", stA.Pid))
	if r.code != 0 || r.stdout != "from-a\n"+netA+"\n" {
		t.Fatalf("joined run: %+v, want net %s", r, netA)
	}
	bad := defaultSpec(t, "true")
	bad.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace, Path: "/nonexistent/ns"}}
	bad.Hostname = ""
	checkFailure(t, runSpec(t, bad, ""), exitRunc, "join namespace", "/nonexistent/ns")
}

func TestLifecycleFeaturesAndVersion(t *testing.T) {
	needRoot(t)
	var f struct {
		OCIVersionMin, OCIVersionMax string
		Hooks                        []string
		Linux                        struct{ Namespaces []string }
	}
	if err := json.Unmarshal([]byte(mr(t, "features")), &f); err != nil {
		t.Fatal(err)
	}
	if f.OCIVersionMin != "1.0.0" || f.OCIVersionMax != "1.3.0" || len(f.Hooks) != 6 || len(f.Linux.Namespaces) != 8 {
		t.Fatalf("features: %+v", f)
	}
	// runc's shape: "NAME version X", then commit, spec, go, libseccomp.
	v := strings.Split(strings.TrimSpace(mr(t, "--version")), "\n")
	if len(v) != 5 || !strings.HasPrefix(v[0], "minirun version ") || v[2] != "spec: 1.3.0" ||
		!strings.HasPrefix(v[1], "commit: ") || !strings.HasPrefix(v[3], "go: go") || !strings.HasPrefix(v[4], "libseccomp: 2.") {
		t.Fatalf("--version: %q", v)
	}
}
