package tests

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minirun/minirun/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// These tests run host processes (no container) in cgroups made by the
// cgroups package and read the v1 files back, so they need root and a v1 or
// hybrid host. The v2 code path is covered by the package's own tests.

const cgV1Root = "/sys/fs/cgroup"

// needRootAndCgroupV1 is the first statement of each test here: it skips
// without root, and on a host without v1 controllers.
func needRootAndCgroupV1(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("cgroup tests need root: they create cgroups under /sys/fs/cgroup (run with sudo go test ./tests/ -run Cgroup)")
	}
	if m := cgroups.Mode(); m != "v1" && m != "hybrid" {
		t.Skipf("cgroup tests read v1 controller files; this host is %q", m)
	}
}

func cgI64(v int64) *int64   { return &v }
func cgU64(v uint64) *uint64 { return &v }

func cgFile(t *testing.T, m cgroups.Manager, controller, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cgV1Root, controller, m.Path(), file))
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	return strings.TrimSpace(string(b))
}

// cgNew creates a cgroup with a unique default path and makes sure that,
// whatever happens, every process in it is killed and it is removed.
func cgNew(t *testing.T, name string) cgroups.Manager {
	t.Helper()
	// Not the pid alone: suites run in private pid namespaces, where two
	// at once would both be pid 2 or so and share the cgroup.
	id := fmt.Sprintf("test-%s-%d-%d", name, os.Getpid(), time.Now().UnixNano())
	m, err := cgroups.New("", id)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/minirun/" + id; m.Path() != want {
		t.Fatalf("Path() = %q, want %q", m.Path(), want)
	}
	t.Cleanup(func() {
		if err := cgKillAll(m, 10*time.Second); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := m.Delete(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return m
}

// cgKillAll kills everything in the cgroup. It freezes first so that a
// fork bomb cannot replace its processes between listing and killing.
func cgKillAll(m cgroups.Manager, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		_ = m.Freeze()
		pids, err := m.Pids()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // already deleted
		}
		if err != nil {
			_ = m.Thaw()
			return err
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		// SIGKILL is delivered only once the tasks run again.
		if err := m.Thaw(); err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v still in %s after %s", pids, m.Path(), within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cgStartGated starts `sh -c script` where script begins by reading one
// line, so the process can be put into the cgroup before it does anything.
func cgStartGated(t *testing.T, m cgroups.Manager, script string) (*exec.Cmd, chan error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", "read _; "+script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	_ = stdin.Close()
	return cmd, done
}

func TestCgroupLifecycleV1(t *testing.T) {
	needRootAndCgroupV1(t)
	m := cgNew(t, "life")

	res := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: cgI64(32 << 20), Swap: cgI64(64 << 20), Reservation: cgI64(16 << 20)},
		Pids:   &specs.LinuxPids{Limit: cgI64(20)},
		CPU:    &specs.LinuxCPU{Shares: cgU64(512), Quota: cgI64(50000), Period: cgU64(100000), Cpus: "0", Mems: "0"},
	}
	if err := m.Set(res); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", "33554432"},
		{"memory", "memory.memsw.limit_in_bytes", "67108864"},
		{"memory", "memory.soft_limit_in_bytes", "16777216"},
		{"pids", "pids.max", "20"},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"cpuset", "cpuset.mems", "0"},
	} {
		if got := cgFile(t, m, c.ctrl, c.file); got != c.want {
			t.Errorf("%s = %q, want %q", c.file, got, c.want)
		}
	}

	// Raising memory and memory+swap together needs memsw written first.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: cgI64(128 << 20), Swap: cgI64(256 << 20)}}); err != nil {
		t.Fatalf("raise memory: %v", err)
	}
	if got := cgFile(t, m, "memory", "memory.limit_in_bytes"); got != "134217728" {
		t.Errorf("after raise memory.limit_in_bytes = %q", got)
	}

	cmd := exec.Command("sleep", "60") // no shell: killing it must leave no child behind
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	pid := cmd.Process.Pid
	defer func() { _ = cmd.Process.Kill() }()
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, ctrl := range []string{"memory", "pids", "cpu", "cpuset", "freezer", "devices"} {
		if !strings.Contains(string(self), ":"+ctrl+":"+m.Path()+"\n") {
			t.Errorf("pid %d not in %s:%s:\n%s", pid, ctrl, m.Path(), self)
		}
	}

	pids, err := m.Pids()
	if err != nil || !slices.Contains(pids, pid) {
		t.Fatalf("Pids() = %v, %v; want it to contain %d", pids, err, pid)
	}

	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if got := cgFile(t, m, "freezer", "freezer.state"); got != "FROZEN" {
		t.Fatalf("after Freeze freezer.state = %q", got)
	}
	// A second Manager from Load (as `minirun resume` would use) thaws it.
	loaded, err := cgroups.Load(m.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := cgFile(t, m, "freezer", "freezer.state"); got != "THAWED" {
		t.Fatalf("after Thaw freezer.state = %q", got)
	}

	// Delete kills nothing: with a live process it must fail and keep the cgroup.
	start := time.Now()
	if err := loaded.Delete(); err == nil || !strings.Contains(err.Error(), "still holds pids") {
		t.Fatalf("Delete with a live process: got %v, want a 'still holds pids' error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Delete with a live process took %s; it should fail at once", d)
	}
	if _, err := os.Stat(filepath.Join(cgV1Root, "memory", m.Path())); err != nil {
		t.Fatalf("cgroup gone after failed Delete: %v", err)
	}

	_ = cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("sleep did not exit after SIGKILL")
	}
	for i := 0; i < 2; i++ {
		if err := loaded.Delete(); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(cgV1Root, "*", m.Path()))
	if len(left) > 0 {
		t.Fatalf("Delete left %v", left)
	}
	if _, err := cgroups.Load(m.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load after Delete: got %v, want fs.ErrNotExist", err)
	}
}

func TestCgroupSetRejectsInvalid(t *testing.T) {
	needRootAndCgroupV1(t)
	m := cgNew(t, "invalid")
	for _, res := range []*specs.LinuxResources{
		{Memory: &specs.LinuxMemory{Limit: cgI64(64 << 20), Swap: cgI64(32 << 20)}},
		{CPU: &specs.LinuxCPU{Cpus: "0-4095"}},
	} {
		err := m.Set(res)
		if !errors.Is(err, cgroups.ErrInvalid) {
			t.Errorf("Set(%+v): got %v, want ErrInvalid", res, err)
		}
	}
	// A value the kernel refuses is reported with its file and value.
	err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: cgI64(500)}})
	want := "cgroups: set cpu.cfs_quota_us=500 in " + filepath.Join(cgV1Root, "cpu", m.Path()) + ": invalid argument"
	if err == nil || err.Error() != want {
		t.Errorf("quota below the kernel's 1ms minimum: got %v, want %q", err, want)
	}
	// Nothing was written by the refused Set.
	if got := cgFile(t, m, "memory", "memory.limit_in_bytes"); got == "67108864" {
		t.Errorf("refused Set still wrote memory.limit_in_bytes")
	}
}

func TestCgroupMemoryLimitKills(t *testing.T) {
	needRootAndCgroupV1(t)
	m := cgNew(t, "oom")
	// memory+swap equal to memory: the allocation cannot escape to swap.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: cgI64(32 << 20), Swap: cgI64(32 << 20)}}); err != nil {
		t.Fatal(err)
	}
	// tail keeps the whole "line" in memory, and /dev/zero has no newline.
	_, done := cgStartGated(t, m, "exec tail /dev/zero")
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("tail /dev/zero ended with %v, want a kill", err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("tail /dev/zero ended with %v, want SIGKILL from the OOM killer", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tail /dev/zero still running after 30s under a 32 MiB limit")
	}
	oom := cgFile(t, m, "memory", "memory.oom_control")
	if !strings.Contains(oom, "oom_kill ") || strings.Contains(oom, "oom_kill 0") {
		t.Errorf("memory.oom_control records no kill:\n%s", oom)
	}
	if peak, _ := strconv.ParseInt(cgFile(t, m, "memory", "memory.max_usage_in_bytes"), 10, 64); peak > 32<<20 {
		t.Errorf("memory.max_usage_in_bytes = %d, above the 32 MiB limit", peak)
	}
}

func TestCgroupPidsLimitStopsForkBomb(t *testing.T) {
	needRootAndCgroupV1(t)
	m := cgNew(t, "forkbomb")
	const limit = 16
	// The memory limit is a seatbelt: the bomb's shells must not eat the host.
	if err := m.Set(&specs.LinuxResources{
		Pids:   &specs.LinuxPids{Limit: cgI64(limit)},
		Memory: &specs.LinuxMemory{Limit: cgI64(64 << 20)},
	}); err != nil {
		t.Fatal(err)
	}
	cgStartGated(t, m, "b() { b & b; }; b 2>/dev/null")

	// Let it push against the limit for a while, sampling as it goes.
	peak := 0
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		n, _ := strconv.Atoi(cgFile(t, m, "pids", "pids.current"))
		peak = max(peak, n)
	}
	if peak > limit {
		t.Fatalf("pids.current reached %d, above pids.max=%d", peak, limit)
	}
	if peak < limit/2 {
		t.Fatalf("pids.current peaked at %d: the fork bomb never ran", peak)
	}
	events := cgFile(t, m, "pids", "pids.events")
	if strings.TrimSpace(events) == "max 0" {
		t.Errorf("pids.events shows no refused fork: %q", events)
	}
	if err := cgKillAll(m, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(); err != nil {
		t.Fatal(err)
	}
}
