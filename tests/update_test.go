package tests

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// update as runc's: flags, and --resources - (JSON on stdin, as
// containerd's shim sends it for CRI's UpdateContainerResources).
func TestUpdateLiveContainer(t *testing.T) {
	needRoot(t)
	limit := int64(32 << 20)
	s := defaultSpec(t, "sleep", "1000")
	s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	cmd, pid := startSpec(t, s)
	// Killing the container lets `minirun run` remove its cgroup and state.
	defer func() { syscall.Kill(pid, syscall.SIGKILL); cmd.Wait() }()
	id := containerID(t)
	if r := runMinirun(t, "", "update", "--memory", "64m", "--cpu-quota", "20000", "--pids-limit", "50", id); r.code != 0 {
		t.Fatalf("update with flags: %+v", r)
	}
	if r := runMinirun(t, `{"cpu": {"shares": 256}, "devices": [{"allow": false, "access": "rwm"}]}`, "update", "--resources", "-", id); r.code != 0 {
		t.Fatalf("update --resources -: %+v", r)
	}
	got := strings.Join([]string{
		v1CgroupFile(t, pid, "memory", "memory.limit_in_bytes"),
		v1CgroupFile(t, pid, "cpu", "cpu.cfs_quota_us"),
		v1CgroupFile(t, pid, "pids", "pids.max"),
		v1CgroupFile(t, pid, "cpu", "cpu.shares"),
	}, " ")
	if got != "67108864 20000 50 256" {
		t.Fatalf("after update: memory, quota, pids, shares = %s; want 67108864 20000 50 256", got)
	}
	// The device rules stay as created: the deny-all in the update was not applied.
	if _, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/dev/null", pid)); err != nil {
		t.Fatalf("/dev/null after update: %v", err)
	}
	if r := runMinirun(t, "", "update", "--memory", "lots", id); r.code != exitRunc || !strings.Contains(r.stderr, `"lots" is not a size`) {
		t.Fatalf("update --memory lots: %+v", r)
	}
}
