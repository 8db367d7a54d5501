package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Load: many runs one after another, many at once, many execs into one
// container. None may fail, and afterwards no fd, mount, process, cgroup
// or state may be left. MINIRUN_SOAK=1 (make soak-load) runs the full
// sizes; without it a small version runs with the other tests.
func TestSoakLoad(t *testing.T) {
	needRoot(t)
	seq, par, width, execs := 50, 20, 10, 20
	if os.Getenv("MINIRUN_SOAK") == "1" {
		seq, par, width, execs = 1000, 200, 20, 100
	} else {
		t.Log("small soak; MINIRUN_SOAK=1 (make soak-load) runs 1000 sequential, 200 parallel and 100 execs")
	}
	prefix := fmt.Sprintf("soak-%d", time.Now().UnixNano())
	before := takeCounts(prefix)
	bundle := writeBundle(t, defaultSpec(t, "true"))
	start := time.Now()

	for i := 0; i < seq; i++ {
		id := fmt.Sprintf("%s-s%d", prefix, i)
		if r := runMinirun(t, "", "run", "-b", bundle, id); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Fatalf("sequential run %d: %+v", i, r)
		}
	}
	t.Logf("%d sequential runs in %v", seq, time.Since(start))

	start = time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, par)
	slots := make(chan struct{}, width)
	for i := 0; i < par; i++ {
		wg.Add(1)
		slots <- struct{}{}
		go func(i int) {
			defer func() { <-slots; wg.Done() }()
			id := fmt.Sprintf("%s-p%d", prefix, i)
			if r := runMinirun(t, "", "run", "-b", bundle, id); r.code != 0 || r.stdout != "" || r.stderr != "" {
				errs <- fmt.Sprintf("parallel run %d: %+v", i, r)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("%d runs, %d at a time, in %v", par, width, time.Since(start))

	start = time.Now()
	id := prefix + "-exec"
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "1000")), id)
	t.Cleanup(func() { cleanUp(t, id) })
	wantStatus(t, id, specs.StateRunning)
	for i := 0; i < execs; i++ {
		if r := runMinirun(t, "", "exec", id, "sh", "-c", "exit 0"); r.code != 0 || r.stderr != "" {
			t.Fatalf("exec %d: %+v", i, r)
		}
	}
	if n := strings.Count(mr(t, "ps", "-f", "json", id), ",") + 1; n != 1 {
		t.Errorf("%d processes in the container after the execs, want only its init", n)
	}
	mr(t, "delete", "-f", id)
	t.Logf("%d execs in %v", execs, time.Since(start))

	after := settleCounts(prefix, before)
	t.Logf("host fds (file-nr) %d -> %d, mounts %d -> %d, minirun cgroups %d -> %d",
		before.hostFds, after.hostFds, before.mounts, after.mounts, before.cgroups, after.cgroups)
	fmt.Printf("soak: %d sequential, %d parallel (%d at a time), %d execs: host fds %d -> %d, mounts %d -> %d, minirun cgroups %d -> %d\n",
		seq, par, width, execs, before.hostFds, after.hostFds, before.mounts, after.mounts, before.cgroups, after.cgroups)
	if after.ownFds != before.ownFds {
		t.Errorf("fds of the test process: %d before, %d after", before.ownFds, after.ownFds)
	}
	if after.mountsHere != before.mountsHere {
		t.Errorf("mounts under %s: %d before, %d after", workDir, before.mountsHere, after.mountsHere)
	}
	if after.ours != 0 {
		t.Errorf("%d cgroups named %s-* left", after.ours, prefix)
	}
	if after.states != 0 {
		t.Errorf("%d state dirs named %s-* left", after.states, prefix)
	}
	if after.runtimes != 0 {
		t.Errorf("%d minirun processes still alive: %v", after.runtimes, after.runtimePids)
	}
	if left := childrenOf(os.Getpid()); len(left) != 0 {
		t.Errorf("processes left: %v", left)
	}
}

type counts struct {
	hostFds, mounts, cgroups int // host-wide: printed, other suites move them
	ownFds, mountsHere       int
	ours, states, runtimes   int
	runtimePids              []int
}

func takeCounts(prefix string) counts {
	var c counts
	if data, err := os.ReadFile("/proc/sys/fs/file-nr"); err == nil {
		fmt.Sscanf(string(data), "%d", &c.hostFds)
	}
	if data, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		c.mounts = strings.Count(string(data), "\n")
	}
	all, _ := filepath.Glob("/sys/fs/cgroup/*/minirun/*")
	for _, d := range all {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			c.cgroups++
			if strings.HasPrefix(filepath.Base(d), prefix) {
				c.ours++
			}
		}
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	c.ownFds = len(fds)
	c.mountsHere = mountsUnderDir(workDir)
	states, _ := filepath.Glob(filepath.Join(stateRoot(), prefix+"*"))
	c.states = len(states)
	// Live processes of the binary under test: containers' inits, execs,
	// reapers. Zombies don't count.
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		var pid int
		if _, err := fmt.Sscanf(p.Name(), "%d", &pid); err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", p.Name(), "exe")); err == nil && exe == minirun {
			c.runtimes++
			c.runtimePids = append(c.runtimePids, pid)
		}
	}
	return c
}

// settleCounts gives exiting processes (reapers, the last inits) a moment.
func settleCounts(prefix string, before counts) counts {
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := takeCounts(prefix)
		if (c.ownFds == before.ownFds && c.runtimes == 0 && c.ours == 0) || time.Now().After(deadline) {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
}
