package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// linux.resources beyond memory, pids and cpu, as runc 1.1 applies them.

// Docker sends these zeros on every container; each means "not set", and
// the container runs (issue 20: every docker run failed at create).
func TestResourcesDockerZeros(t *testing.T) {
	needRoot(t)
	var w0 uint16
	var s0 uint64
	off := false
	s := defaultSpec(t, "true")
	s.Linux.Resources = &specs.LinuxResources{
		Devices: s.Linux.Resources.Devices,
		BlockIO: &specs.LinuxBlockIO{Weight: &w0},
		CPU:     &specs.LinuxCPU{Shares: &s0},
		Memory:  &specs.LinuxMemory{DisableOOMKiller: &off},
		Pids:    &specs.LinuxPids{},
	}
	if r := runSpec(t, s, ""); r.code != 0 {
		t.Fatalf("Docker's zero resources: %+v", r)
	}
	checkNothingLeft(t, containerID(t), 0)
}

// resourceCase runs `sh -c script` with res and returns the result.
func runResources(t *testing.T, res *specs.LinuxResources, script string, edit ...func(*specs.Spec)) result {
	t.Helper()
	s := defaultSpec(t, "sh", "-c", script)
	if s.Linux.Resources != nil {
		res.Devices = s.Linux.Resources.Devices
	}
	s.Linux.Resources = res
	for _, e := range edit {
		e(s)
	}
	r := runSpec(t, s, "")
	checkNoCgroupLeft(t, s.Linux.CgroupsPath, containerID(t))
	return r
}

// checkNoCgroupLeft: success or failure, the container's directory is gone
// from every hierarchy, the ones only these resources touch included.
func checkNoCgroupLeft(t *testing.T, cgroupsPath, id string) {
	t.Helper()
	checkGone(t, cgroupsPath, id, 0)
}

// v1Has says whether this host has a v1 hierarchy for ctrl, which the
// container's cgroup is made in (minirun places it in the v1 hierarchies on
// a hybrid host, as runc 1.1 does).
func v1Has(ctrl string) bool {
	var st unix.Statfs_t
	return unix.Statfs(filepath.Join("/sys/fs/cgroup", ctrl), &st) == nil && st.Type == unix.CGROUP_SUPER_MAGIC
}

func needV1(t *testing.T) {
	t.Helper()
	if !v1Has("memory") {
		t.Skip("cgroup v1 test: this host's controllers are in cgroup v2 (the v2 files are covered by the cgroups package's tests)")
	}
}

// blockDevice is the major and minor of a disk of this host, for throttles.
func blockDevice(t *testing.T) (int64, int64) {
	t.Helper()
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "loop") || strings.HasPrefix(e.Name(), "zram") || strings.HasPrefix(e.Name(), "ram") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/sys/block", e.Name(), "dev"))
		if err != nil {
			continue
		}
		var maj, min int64
		if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d:%d", &maj, &min); err == nil {
			return maj, min
		}
	}
	t.Skip("this host has no disk in /sys/block to throttle")
	return 0, 0
}

func throttle(maj, min int64, rate uint64) []specs.LinuxThrottleDevice {
	d := specs.LinuxThrottleDevice{Rate: rate}
	d.Major, d.Minor = maj, min
	return []specs.LinuxThrottleDevice{d}
}

func TestResourcesBlkioThrottles(t *testing.T) {
	needRoot(t)
	needV1(t)
	maj, min := blockDevice(t)
	res := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
		ThrottleReadBpsDevice: throttle(maj, min, 1<<20), ThrottleWriteBpsDevice: throttle(maj, min, 2<<20),
		ThrottleReadIOPSDevice: throttle(maj, min, 100), ThrottleWriteIOPSDevice: throttle(maj, min, 200),
	}}
	r := runResources(t, res, "cd /sys/fs/cgroup/blkio; cat blkio.throttle.read_bps_device blkio.throttle.write_bps_device blkio.throttle.read_iops_device blkio.throttle.write_iops_device")
	dev := fmt.Sprintf("%d:%d ", maj, min)
	if want := dev + "1048576\n" + dev + "2097152\n" + dev + "100\n" + dev + "200\n"; r.code != 0 || r.stdout != want {
		t.Fatalf("throttles: %+v, want stdout %q", r, want)
	}
}

// blkio.weight is CFQ's, gone since Linux 5.0; blkio.bfq.weight is there
// with the BFQ scheduler. runc 1.1 writes whichever exists, BFQ's when
// neither does, and fails naming it; so does minirun.
func TestResourcesBlkioWeight(t *testing.T) {
	needRoot(t)
	needV1(t)
	w := uint16(300)
	res := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: &w}}
	var file string
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
		if exists(filepath.Join("/sys/fs/cgroup/blkio", f)) {
			file = f
			break
		}
	}
	r := runResources(t, res, "cat /sys/fs/cgroup/blkio/"+file)
	if file == "" {
		// runc 1.1.5 here: "openat2 .../blkio.bfq.weight: no such file or directory".
		checkFailure(t, r, exitRunc, "cgroup resources", "blkio.bfq.weight=300", "this kernel has no blkio.bfq.weight")
		t.Skip("this kernel has neither blkio.weight nor blkio.bfq.weight (no BFQ scheduler): checked runc's error instead")
	}
	if r.code != 0 || !strings.Contains(r.stdout, "300") {
		t.Fatalf("%s: %+v", file, r)
	}
}

func TestResourcesCpusetMems(t *testing.T) {
	needRoot(t)
	needV1(t)
	res := &specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}}
	if r := runResources(t, res, "cat /sys/fs/cgroup/cpuset/cpuset.mems"); r.code != 0 || r.stdout != "0\n" {
		t.Fatalf("cpuset.mems: %+v", r)
	}
}

// The real-time budget comes out of the parent's, so the container sits at
// the top of the hierarchy, where the root's 950000us are (a child of
// /minirun, whose own budget is 0, can't have any: as with runc).
func TestResourcesCPURealtime(t *testing.T) {
	needRoot(t)
	needV1(t)
	if !exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us") {
		t.Skip("this kernel has no real-time group scheduling (CONFIG_RT_GROUP_SCHED): no cpu.rt_runtime_us")
	}
	period, runtime := uint64(500000), int64(10000)
	res := &specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: &period, RealtimeRuntime: &runtime}}
	top := func(s *specs.Spec) { s.Linux.CgroupsPath = "/" + containerID(t) }
	if r := runResources(t, res, "cd /sys/fs/cgroup/cpu; cat cpu.rt_period_us cpu.rt_runtime_us", top); r.code != 0 || r.stdout != "500000\n10000\n" {
		t.Fatalf("real-time budget: %+v", r)
	}
	// Below /minirun the kernel refuses it, and the start fails in one line.
	r := runResources(t, res, "true")
	checkFailure(t, r, exitRunc, "cgroup resources", "cpu.rt_runtime_us=10000", "invalid argument", "a real-time budget comes out of the parent's")
}

// Controllers this host may not have in v1: with them the file is read
// back; without them the start fails in one line naming the controller,
// as runc's does ("cannot set hugetlb limit: container could not join or
// create cgroup"), never a silent drop.
func TestResourcesControllers(t *testing.T) {
	needRoot(t)
	needV1(t)
	for _, tc := range []struct {
		ctrl, file, want string
		res              *specs.LinuxResources
	}{
		{"hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304",
			&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}}},
		{"net_cls", "net_cls.classid", "1048577",
			&specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(0x100001)}}},
		{"net_prio", "net_prio.ifpriomap", "lo 5",
			&specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 5}}}}},
		{"rdma", "rdma.max", "",
			&specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: u32(3)}}}},
	} {
		t.Run(tc.ctrl, func(t *testing.T) {
			r := runResources(t, tc.res, "cat /sys/fs/cgroup/"+tc.ctrl+"/"+tc.file)
			if !v1Has(tc.ctrl) {
				checkFailure(t, r, exitRunc, "cgroup resources", tc.file, tc.ctrl+" controller not available")
				t.Skipf("this host has no v1 %s hierarchy: checked the one-line error instead", tc.ctrl)
			}
			if tc.ctrl == "rdma" {
				// No RDMA device here: the kernel refuses the write.
				t.Skipf("rdma: %+v", r)
			}
			if r.code != 0 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("%s: %+v, want %q", tc.file, r, tc.want)
			}
		})
	}
}

// runc 1.1 refuses linux.resources.unified on v1 and hybrid hosts, in the
// words its own tests match.
func TestResourcesUnifiedOnV1(t *testing.T) {
	needRoot(t)
	needV1(t)
	r := runResources(t, &specs.LinuxResources{Unified: map[string]string{"hugetlb.2MB.max": "4194304"}}, "true")
	checkFailure(t, r, exitRunc, "validate config", "invalid configuration: cannot use unified on cgroup v1")
	// Empty is unset.
	if r := runResources(t, &specs.LinuxResources{Unified: map[string]string{}}, "true"); r.code != 0 {
		t.Fatalf("empty unified: %+v", r)
	}
}

// runc 1.1 ignores kernel memory limits, with this warning.
func TestResourcesKernelMemory(t *testing.T) {
	needRoot(t)
	k := int64(64 << 20)
	r := runResources(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Kernel: &k, KernelTCP: &k}}, "echo ran")
	if r.code != 0 || r.stdout != "ran\n" || !strings.Contains(r.stderr, "Kernel memory settings are ignored and will be removed") {
		t.Fatalf("kernel memory: %+v", r)
	}
}

func u32(v uint32) *uint32 { return &v }

// update takes runc's resource flags: the real-time budget (the container
// at the top of the hierarchy, see TestResourcesCPURealtime), the blkio
// weight (runc's error where this kernel has no weight file), the hidden
// kernel memory ones (runc's warning); and, as runc's update, it leaves
// the hugepage limits and throttles containerd sends with every update.
func TestResourcesUpdate(t *testing.T) {
	needRoot(t)
	needV1(t)
	s := defaultSpec(t, "sleep", "1000")
	s.Linux.CgroupsPath = "/" + containerID(t)
	cmd, pid := startSpec(t, s)
	defer func() {
		syscall.Kill(pid, syscall.SIGKILL)
		cmd.Wait()
		checkNoCgroupLeft(t, s.Linux.CgroupsPath, containerID(t))
	}()
	id := containerID(t)
	if exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us") {
		if r := runMinirun(t, "", "update", "--cpu-rt-period", "400000", "--cpu-rt-runtime", "20000", id); r.code != 0 {
			t.Fatalf("update --cpu-rt-*: %+v", r)
		}
		if got := v1CgroupFile(t, pid, "cpu", "cpu.rt_period_us") + " " + v1CgroupFile(t, pid, "cpu", "cpu.rt_runtime_us"); got != "400000 20000" {
			t.Fatalf("rt period, runtime = %s", got)
		}
	}
	r := runMinirun(t, "", "update", "--blkio-weight", "300", id)
	if exists("/sys/fs/cgroup/blkio/blkio.weight") || exists("/sys/fs/cgroup/blkio/blkio.bfq.weight") {
		if r.code != 0 {
			t.Fatalf("update --blkio-weight: %+v", r)
		}
	} else if r.code == 0 || !strings.Contains(r.stderr, "this kernel has no blkio.bfq.weight") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("update --blkio-weight without a weight file: %+v", r)
	}
	if r := runMinirun(t, "", "update", "--kernel-memory", "64m", id); r.code != 0 || !strings.Contains(r.stderr, "Kernel memory settings are ignored") {
		t.Fatalf("update --kernel-memory: %+v", r)
	}
	// containerd's update: every field of the container's resources.
	maj, min := blockDevice(t)
	res := fmt.Sprintf(`{"hugepageLimits": [{"pageSize": "2MB", "limit": 0}], "blockIO": {"throttleReadBpsDevice": [{"major": %d, "minor": %d, "rate": 1048576}]}, "pids": {"limit": 30}}`, maj, min)
	if r := runMinirun(t, res, "update", "--resources", "-", id); r.code != 0 {
		t.Fatalf("update --resources - with hugepage limits: %+v", r)
	}
	if got := v1CgroupFile(t, pid, "pids", "pids.max"); got != "30" {
		t.Fatalf("pids.max = %s", got)
	}
	if got := v1CgroupFile(t, pid, "blkio", "blkio.throttle.read_bps_device"); got != "" {
		t.Fatalf("update wrote a throttle: %q", got)
	}
}
