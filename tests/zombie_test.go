package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Under a PID 1 that never calls wait, a detached container's init, once
// minirun has exited and the init has been killed, stays a zombie for
// good. state, kill, delete, list and run must take such an init for
// stopped and never wait for it to go away.
//
// The PID 1 is this test binary itself, re-run as the first process of a
// new pid namespace: Go reaps only the children it started and waits
// for, so every orphan reparented to it stays a zombie.
func TestNonReapingPID1(t *testing.T) {
	needRoot(t)
	if os.Getenv(childEnv) == "" {
		root := filepath.Join(t.TempDir(), "state")
		cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", os.Args[0], "-test.run=^TestNonReapingPID1$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=1", "MINIRUN_BIN="+minirun, "MINIRUN_TEST_ROOTFS="+rootfs, "MINIRUN_ROOT="+root)
		out, err := cmd.CombinedOutput()
		t.Logf("in the new pid namespace:\n%s", out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestNonReapingPID1") {
			t.Fatalf("%v", err)
		}
		return
	}
	if os.Getpid() != 1 {
		t.Fatalf("pid %d: want to be PID 1 of a new pid namespace", os.Getpid())
	}
	minirun, rootfs = os.Getenv("MINIRUN_BIN"), os.Getenv("MINIRUN_TEST_ROOTFS")

	// Foreground run: minirun is the init's parent and reaps it itself.
	if r := runSpec(t, defaultSpec(t, "sh", "-c", "exit 3"), ""); r.code != 3 {
		t.Fatalf("foreground run: %+v", r)
	}
	checkNothingLeft(t, containerID(t), 0)

	t.Run("create start kill delete", func(t *testing.T) {
		s := defaultSpec(t, "sleep", "100")
		id, _ := createContainer(t, s)
		mr(t, "start", id)
		st := wantStatus(t, id, specs.StateRunning)
		mr(t, "kill", id, "KILL")
		wantZombie(t, st.Pid)
		wantStatus(t, id, specs.StateStopped)
		mustContain(t, "list", mr(t, "list"), "stopped")
		if r := runMinirun(t, "", "kill", id, "KILL"); r.code != exitRunc || !strings.Contains(r.stderr, "not running") {
			t.Errorf("kill of a zombie init: %+v", r)
		}
		timed(t, "delete", 3*time.Second, func() { mr(t, "delete", id) })
		checkNothingLeft(t, id, 0)
		wantZombie(t, st.Pid) // nobody reaped it: the test above was real
	})

	t.Run("run -d exec kill delete", func(t *testing.T) {
		s := defaultSpec(t, "sleep", "100")
		id := containerID(t)
		mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
		t.Cleanup(func() { cleanUp(t, id) })
		st := wantStatus(t, id, specs.StateRunning)
		if r := runMinirun(t, "", "exec", id, "sh", "-c", "echo in; exit 5"); r.code != 5 || r.stdout != "in\n" {
			t.Fatalf("exec: %+v", r)
		}
		pidFile := filepath.Join(t.TempDir(), "exec.pid")
		mrDetached(t, "exec", "-d", "--pid-file", pidFile, id, "sleep", "50")
		epid, _ := strconv.Atoi(waitFile(t, pidFile))
		mr(t, "kill", "--all", id, "KILL")
		// The detached exec's parent was minirun, outside the container:
		// it is now PID 1's zombie, and until PID 1 reaps it the kernel
		// keeps the container's init exiting (PF_EXITING), not a zombie.
		wantZombie(t, epid)
		wantExiting(t, st.Pid)
		wantStatus(t, id, specs.StateStopped)
		timed(t, "delete", 3*time.Second, func() { mr(t, "delete", id) })
		checkNothingLeft(t, id, 0)
	})

	// delete -f of a live container: it kills, and a zombie is dead enough.
	t.Run("delete -f", func(t *testing.T) {
		// No pid namespace: the cgroup's other processes become zombies too.
		s := defaultSpec(t, "sh", "-c", "sleep 100 & sleep 100 & exec sleep 100")
		s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.UTSNamespace}}
		id := containerID(t)
		mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
		st := wantStatus(t, id, specs.StateRunning)
		timed(t, "delete -f", 3*time.Second, func() { mr(t, "delete", "-f", id) })
		wantZombie(t, st.Pid)
		checkNothingLeft(t, id, 0)
		// And the id runs again.
		r := runMinirun(t, "", "run", "-b", writeBundle(t, defaultSpec(t, "echo", "again")), id)
		if r.code != 0 || r.stdout != "again\n" {
			t.Fatalf("run after delete -f: %+v", r)
		}
	})

	// A foreground run's own reaper is an orphan here too; the zombies it
	// and the others leave must not disturb a run after them.
	for i := 0; i < 5; i++ {
		if r := runSpec(t, defaultSpec(t, "true"), ""); r.code != 0 {
			t.Fatalf("run %d among zombies: %+v", i, r)
		}
	}
	t.Logf("zombies under PID 1 at the end: %d", len(zombieChildren()))
}

func wantZombie(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("init %d was reaped: the PID 1 is not the non-reaping one (%v)", pid, err)
		}
		if strings.Contains(string(data), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("init %d is not a zombie: %s", pid, data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wantExiting waits for pid to have PF_EXITING set, or be a zombie.
func wantExiting(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("init %d was reaped (%v)", pid, err)
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		flags, _ := strconv.ParseUint(f[6], 10, 64)
		if f[0] == "Z" || flags&0x4 != 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("init %d neither exiting nor a zombie: %s", pid, data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func timed(t *testing.T, what string, limit time.Duration, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > limit {
		t.Errorf("%s took %v: it waited for a zombie", what, d)
	}
}

func zombieChildren() []int {
	var out []int
	for _, p := range childrenOf(os.Getpid()) {
		if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil && strings.Contains(string(data), ") Z ") {
			out = append(out, p)
		}
	}
	return out
}
