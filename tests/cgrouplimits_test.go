package tests

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// linux.resources applied by minirun to real containers.

func TestCgroupContainerMemoryLimit(t *testing.T) {
	needRoot(t)
	limit := int64(32 << 20)
	s := defaultSpec(t, "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; dd if=/dev/zero of=/dev/null bs=128M count=1 && echo survived")
	s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"); err == nil {
		s.Linux.Resources.Memory.Swap = &limit // no swap to escape to
	}
	r := runSpec(t, s, "")
	if !strings.HasPrefix(r.stdout, "33554432\n") || strings.Contains(r.stdout, "survived") || !strings.Contains(r.stderr, "Killed") {
		t.Fatalf("memory limit not enforced: %+v", r)
	}
	checkNothingLeft(t, containerID(t), 0)
}

func TestCgroupContainerForkBomb(t *testing.T) {
	needRoot(t)
	limit := int64(16)
	// Builtins only after the bomb: at the limit even cat can't fork.
	s := defaultSpec(t, "sh", "-c", "(i=0; while [ $i -lt 100 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; read n < /sys/fs/cgroup/pids/pids.current; echo $n; echo end")
	s.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	r := runSpec(t, s, "")
	lines := strings.Fields(r.stdout)
	if r.code != 0 || len(lines) != 2 || lines[1] != "end" {
		t.Fatalf("fork bomb run: %+v", r)
	}
	if n, _ := strconv.Atoi(lines[0]); n > int(limit) || n == 0 {
		t.Fatalf("pids.current %s above the limit %d", lines[0], limit)
	}
	checkNothingLeft(t, containerID(t), 0)
}

func TestCgroupContainerCPU(t *testing.T) {
	needRoot(t)
	shares, quota, period := uint64(512), int64(50000), uint64(100000)
	s := defaultSpec(t, "sh", "-c", "cd /sys/fs/cgroup/cpu; cat cpu.shares cpu.cfs_quota_us ../cpuset/cpuset.cpus")
	s.Linux.Resources = &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period, Cpus: "0"}}
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "512\n50000\n0\n" {
		t.Fatalf("cpu settings: %+v", r)
	}
}
