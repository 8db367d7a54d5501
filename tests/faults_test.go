package tests

import (
	"bufio"
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

// Faults: minirun SIGKILLed at each phase of create, start, run, exec and
// delete. Afterwards `delete -f` (or `rm -f`) must leave nothing, and the
// same id must start again. A foreground run cleans up after itself.

// killAtTrace starts `minirun --debug ARGS...` and SIGKILLs it as soon as
// a trace line containing marker appears on its stderr. It returns the
// init's pid when the trace named it.
func killAtTrace(t *testing.T, marker string, args ...string) int {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(minirun, append([]string{"--debug"}, args...)...)
	cmd.Stdout, cmd.Stderr = nil, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	lines := make(chan string, 1024)
	go func() {
		// Read to the end: a detached init still writes its trace here,
		// and must not die of SIGPIPE for what this test did.
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
		r.Close()
	}()
	initPid, seen := 0, false
	timeout := time.After(10 * time.Second)
	var trace []string
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				break wait
			}
			trace = append(trace, line)
			if _, rest, ok := strings.Cut(line, "init started as pid "); ok {
				// msg="init started as pid N" at=...
				digits, _, _ := strings.Cut(rest, `"`)
				initPid, _ = strconv.Atoi(digits)
			}
			if strings.Contains(line, marker) {
				cmd.Process.Kill()
				seen = true
				break wait
			}
		case <-timeout:
			break wait
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !seen {
		t.Fatalf("minirun %v: no trace line %q before it ended:\n%s", args, marker, strings.Join(trace, "\n"))
	}
	return initPid
}

// killAfter starts minirun ARGS and SIGKILLs it after d.
func killAfter(t *testing.T, d time.Duration, args ...string) {
	t.Helper()
	cmd := exec.Command(minirun, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	cmd.Process.Kill()
	cmd.Wait()
}

// faultID is unique across concurrent suites and runs.
func faultID(t *testing.T) string {
	id := fmt.Sprintf("fault-%d", time.Now().UnixNano())
	// A case that fails half-way (a trace line never seen) must still not
	// leave a detached container, its cgroups and state behind.
	t.Cleanup(func() { cleanUp(t, id) })
	return id
}

// nothingLeftOf checks that container id left no state, cgroup, mount or
// process; mounts are compared with what was there before the fault.
func nothingLeftOf(t *testing.T, id string, mountsBefore int, pids ...int) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(stateRoot(), id)); err == nil {
		t.Errorf("state dir of %s left", id)
	}
	cgs, _ := filepath.Glob("/sys/fs/cgroup/*/minirun/" + id)
	if len(cgs) != 0 {
		t.Errorf("cgroups left: %v", cgs)
	}
	for _, p := range pids {
		if p > 0 && !gone(p) {
			t.Errorf("process %d left", p)
		}
	}
	if n := mountsUnderDir(workDir); n != mountsBefore {
		t.Errorf("%d mounts left under %s", n-mountsBefore, workDir)
	}
}

// forceDelete is `delete -f`; a container that never got registered is
// fine too.
func forceDelete(t *testing.T, id string) {
	t.Helper()
	r := runMinirun(t, "", "delete", "-f", id)
	if r.code != 0 && !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("delete -f %s after the fault: exit %d: %s", id, r.code, r.stderr)
	}
	if strings.Count(r.stderr, "\n") > 1 {
		t.Errorf("delete -f: more than one line: %q", r.stderr)
	}
}

// reuseID checks that a new container with the same id runs.
func reuseID(t *testing.T, id string) {
	t.Helper()
	mounts := mountsUnderDir(workDir)
	r := runMinirun(t, "", "run", "-b", writeBundle(t, defaultSpec(t, "sh", "-c", "echo again")), id)
	if r.code != 0 || r.stdout != "again\n" {
		t.Fatalf("the id %s can't be used again: %+v", id, r)
	}
	nothingLeftOf(t, id, mounts)
}

// waitCleanedUp waits for a foreground run's own clean-up after its
// minirun died: no delete is run for it.
func waitCleanedUp(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, err := os.Lstat(filepath.Join(stateRoot(), id))
		cgs, _ := filepath.Glob("/sys/fs/cgroup/*/minirun/" + id)
		if os.IsNotExist(err) && len(cgs) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var createPhases = []string{"seccomp:", "namespaces:", "init started as pid", "mount proc", "pivot_root", "capabilities: effective", "created; waiting for start"}

func TestFaultKillCreate(t *testing.T) {
	needRoot(t)
	bundle := writeBundle(t, defaultSpec(t, "sleep", "100"))
	for _, phase := range createPhases {
		t.Run(phase, func(t *testing.T) {
			id, mounts := faultID(t), mountsUnderDir(workDir)
			pid := killAtTrace(t, phase, "create", "-b", bundle, id)
			forceDelete(t, id)
			nothingLeftOf(t, id, mounts, pid)
			reuseID(t, id)
		})
	}
}

func TestFaultKillStart(t *testing.T) {
	needRoot(t)
	bundle := writeBundle(t, defaultSpec(t, "sleep", "100"))
	for _, d := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			id, mounts := faultID(t), mountsUnderDir(workDir)
			mrDetached(t, "create", "-b", bundle, id)
			st := stateOf(t, id)
			killAfter(t, d, "start", id)
			forceDelete(t, id)
			nothingLeftOf(t, id, mounts, st.Pid)
			reuseID(t, id)
		})
	}
}

// A run has no "created" stop (its init goes straight on to execve), so
// its last phase before execve is the capability drop.
var runPhases = []string{"init started as pid", "mount proc", "pivot_root", "capabilities: effective", "execve"}

// A foreground run whose minirun dies takes its container with it (the
// init has PDEATHSIG) and removes its state and cgroup itself.
func TestFaultKillForegroundRun(t *testing.T) {
	needRoot(t)
	bundle := writeBundle(t, defaultSpec(t, "sleep", "100"))
	for _, phase := range append(runPhases, "running") {
		t.Run(phase, func(t *testing.T) {
			id, mounts := faultID(t), mountsUnderDir(workDir)
			var pid int
			if phase == "running" {
				cmd := exec.Command(minirun, "run", "-b", bundle, id)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waitFile(t, filepath.Join(stateRoot(), id, "state.json"))
				st := wantStatus(t, id, specs.StateRunning)
				pid = st.Pid
				cmd.Process.Kill()
				cmd.Wait()
			} else {
				pid = killAtTrace(t, phase, "run", "-b", bundle, id)
			}
			waitCleanedUp(t, id)
			nothingLeftOf(t, id, mounts, pid)
			if r := runMinirun(t, "", "state", id); r.code == 0 {
				t.Errorf("state still answers for %s: %s", id, r.stdout)
			}
			reuseID(t, id)
		})
	}
}

func TestFaultKillDetachedRun(t *testing.T) {
	needRoot(t)
	bundle := writeBundle(t, defaultSpec(t, "sleep", "100"))
	for _, phase := range runPhases {
		t.Run(phase, func(t *testing.T) {
			id, mounts := faultID(t), mountsUnderDir(workDir)
			pid := killAtTrace(t, phase, "run", "-d", "-b", bundle, id)
			forceDelete(t, id)
			nothingLeftOf(t, id, mounts, pid)
			reuseID(t, id)
		})
	}
}

func TestFaultKillExec(t *testing.T) {
	needRoot(t)
	bundle := writeBundle(t, defaultSpec(t, "sleep", "100"))
	for _, phase := range []string{"seccomp:", "session keyring", "capabilities: effective", "execve", "running"} {
		t.Run(phase, func(t *testing.T) {
			id, mounts := faultID(t), mountsUnderDir(workDir)
			mrDetached(t, "run", "-d", "-b", bundle, id)
			st := wantStatus(t, id, specs.StateRunning)
			if phase == "running" {
				cmd := exec.Command(minirun, "exec", id, "sleep", "77")
				cmd.Start()
				waitPids(t, id, 2)
				cmd.Process.Kill()
				cmd.Wait()
			} else {
				killAtTrace(t, phase, "exec", id, "sleep", "77")
			}
			// The container itself is untouched by a dead exec.
			if s := stateOf(t, id); s.Status != specs.StateRunning {
				t.Errorf("container %s after a killed exec", s.Status)
			}
			forceDelete(t, id)
			nothingLeftOf(t, id, mounts, st.Pid)
			reuseID(t, id)
		})
	}
}

func waitPids(t *testing.T, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(strings.TrimSpace(mr(t, "ps", "-f", "json", id)), ",") == n-1 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("container %s never had %d processes", id, n)
}

func TestFaultKillDelete(t *testing.T) {
	needRoot(t)
	// No pid namespace: delete must kill the cgroup's processes one by one.
	s := defaultSpec(t, "sh", "-c", "sleep 100 & sleep 100 & exec sleep 100")
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.UTSNamespace}}
	bundle := writeBundle(t, s)
	for _, d := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			id, mounts := faultID(t), mountsUnderDir(workDir)
			mrDetached(t, "run", "-d", "-b", bundle, id)
			st := wantStatus(t, id, specs.StateRunning)
			killAfter(t, d, "delete", "-f", id)
			forceDelete(t, id)
			nothingLeftOf(t, id, mounts, st.Pid)
			reuseID(t, id)
		})
	}
}

// The Docker front: a foreground `run --rm` removes its overlay too; a
// detached one is taken away by `rm -f`.
func TestFaultKillDockerRun(t *testing.T) {
	needRoot(t)
	store := badStore(t)
	for _, tc := range []struct {
		detach bool
		phase  string
	}{{false, "init started as pid"}, {false, "pivot_root"}, {false, "execve"}, {true, "namespaces:"}, {true, "init started as pid"}} {
		t.Run(fmt.Sprintf("detach=%v/%s", tc.detach, tc.phase), func(t *testing.T) {
			tmp := t.TempDir()
			before, mounts := snapshotLeftovers(store, tmp), mountsUnderDir(workDir)
			name := faultID(t)
			args := []string{"--store", store, "run", "--rm", "--name", name, "alpine", "sleep", "100"}
			if tc.detach {
				args[3] = "-d"
			}
			pid := killAtTrace(t, tc.phase, args...)
			if tc.detach {
				r := runMinirun(t, "", "--store", store, "rm", "-f", name)
				if r.code != 0 && !strings.Contains(r.stderr, "no such container") {
					t.Errorf("rm -f %s: %+v", name, r)
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			var left []string
			for {
				left = left[:0]
				for k := range snapshotLeftovers(store, tmp) {
					if !before[k] {
						left = append(left, k)
					}
				}
				if len(left) == 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
			if pid > 0 && !gone(pid) {
				t.Errorf("init %d left", pid)
			}
			if n := mountsUnderDir(workDir); n != mounts {
				t.Errorf("%d mounts left", n-mounts)
			}
			r := runMinirun(t, "", "--store", store, "run", "--rm", "--name", name, "alpine", "echo", "again")
			if r.code != 0 || r.stdout != "again\n" {
				t.Errorf("the name %s can't be used again: %+v", name, r)
			}
		})
	}
}

// A --root that can't be written, or that is full, is one clean error.
func TestFaultReadOnlyAndFullRoot(t *testing.T) {
	needRoot(t)
	if os.Getenv(childEnv) == "" {
		// Mounts of its own, in a mount namespace of its own.
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", os.Args[0], "-test.run=^TestFaultReadOnlyAndFullRoot$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1", "MINIRUN_TEST_WORKDIR="+workDir, "MINIRUN_TEST_ROOTFS="+rootfs, "MINIRUN_BIN="+minirun)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		t.Logf("%s", out)
		return
	}
	minirun, rootfs = os.Getenv("MINIRUN_BIN"), os.Getenv("MINIRUN_TEST_ROOTFS")
	base := t.TempDir()
	ro, full := filepath.Join(base, "ro"), filepath.Join(base, "full")
	os.Mkdir(ro, 0o755)
	os.Mkdir(full, 0o755)
	mount := func(args ...string) {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %v: %v %s", args, err, out)
		}
	}
	mount("-t", "tmpfs", "-o", "ro,size=64k,mode=0711", "tmpfs", ro)
	mount("-t", "tmpfs", "-o", "size=8k,nr_inodes=4,mode=0711", "tmpfs", full)
	defer exec.Command("umount", ro).Run()
	defer exec.Command("umount", full).Run()
	// Fill it: the root directory and three more inodes.
	for i := 0; i < 3; i++ {
		os.WriteFile(filepath.Join(full, fmt.Sprintf("fill%d", i)), []byte("x"), 0o644)
	}
	before := listDir(full)
	s := defaultSpec(t, "echo", "ran")
	s.Root.Path = rootfs
	bundle := writeBundle(t, s)
	for _, tc := range []struct {
		root string
		want []string
	}{
		{ro, []string{"create", ro, "read-only file system"}},
		{full, []string{"create", full, "no space left on device"}},
	} {
		for _, args := range [][]string{{"run", "-b", bundle}, {"create", "-b", bundle}, {"run", "-d", "-b", bundle}} {
			id := faultID(t)
			r := runMinirun(t, "", append(append([]string{"--root", tc.root}, args...), id)...)
			if r.code != exitRunc || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("--root %s %v: exit %d, stderr %q", tc.root, args, r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("--root %s %v: %q does not name %q", tc.root, args, r.stderr, w)
				}
			}
			if strings.Contains(r.stdout, "ran") {
				t.Errorf("the container ran")
			}
			if cgs, _ := filepath.Glob("/sys/fs/cgroup/*/minirun/" + id); len(cgs) != 0 {
				t.Errorf("cgroups left: %v", cgs)
			}
			if left := childrenOf(os.Getpid()); len(left) != 0 {
				t.Errorf("processes left: %v", left)
			}
		}
	}
	if after := listDir(full); after != before {
		t.Errorf("the full root changed: %q, was %q", after, before)
	}
	if after := listDir(ro); after != "" {
		t.Errorf("the read-only root holds %q", after)
	}
}
