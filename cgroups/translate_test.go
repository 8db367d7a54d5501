package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func mib(n int64) int64    { return n << 20 }
func files(s []setting) map[string]string {
	m := map[string]string{}
	for _, x := range s {
		m[x.file] = x.value
	}
	return m
}

func full() *specs.LinuxResources {
	return &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(mib(32)), Swap: i64(mib(64)), Reservation: i64(mib(16))},
		Pids:   &specs.LinuxPids{Limit: i64(20)},
		CPU: &specs.LinuxCPU{
			Shares: u64(512), Quota: i64(50000), Period: u64(100000),
			Cpus: "0", Mems: "0",
		},
	}
}

func TestV1Settings(t *testing.T) {
	got := v1Settings(full())
	want := []setting{
		{"memory", "memory.limit_in_bytes", "33554432"},
		{"memory", "memory.memsw.limit_in_bytes", "67108864"},
		{"memory", "memory.soft_limit_in_bytes", "16777216"},
		{"pids", "pids.max", "20"},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"cpuset", "cpuset.mems", "0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v1Settings:\n got %v\nwant %v", got, want)
	}
}

func TestV1SettingsUnlimitedAndUnset(t *testing.T) {
	got := files(v1Settings(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(0)},
		Pids:   &specs.LinuxPids{Limit: i64(-1)},
		CPU:    &specs.LinuxCPU{Quota: i64(-1)},
	}))
	want := map[string]string{
		"memory.limit_in_bytes": "-1",
		"pids.max":              "max", // v1 pids.max refuses -1
		"cpu.cfs_quota_us":      "-1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if s := v1Settings(nil); s != nil {
		t.Fatalf("nil resources gave %v", s)
	}
}

func TestV1SwappinessAndOOMKiller(t *testing.T) {
	yes, no := true, false
	got := files(v1Settings(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(0), DisableOOMKiller: &yes}}))
	want := map[string]string{"memory.swappiness": "0", "memory.oom_control": "1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Docker's -1 (as a uint64), a nil swappiness and a false
	// disableOOMKiller leave the cgroup's values alone.
	minus1 := uint64(1<<64 - 1)
	for _, m := range []*specs.LinuxMemory{{Swappiness: &minus1, DisableOOMKiller: &no}, {}} {
		if got := v1Settings(&specs.LinuxResources{Memory: m}); len(got) != 0 {
			t.Errorf("%+v: got %v, want nothing", m, got)
		}
	}
}

func TestOrderMemoryV1(t *testing.T) {
	s := v1Settings(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(mib(64)), Swap: i64(mib(128))}})
	// Raising above the current memsw: memsw must go first.
	got := orderMemoryV1(s, mib(64))
	if got[0].file != "memory.memsw.limit_in_bytes" || got[1].file != "memory.limit_in_bytes" {
		t.Fatalf("raise: got order %v", got)
	}
	// Lowering, or a fresh cgroup (memsw at the kernel's maximum): limit first.
	for _, cur := range []int64{mib(256), 9223372036854771712, -1} {
		got = orderMemoryV1(s, cur)
		if got[0].file != "memory.limit_in_bytes" {
			t.Fatalf("current %d: got order %v", cur, got)
		}
	}
	// Unlimited total above a finite current one: memsw first.
	s = v1Settings(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}})
	if got = orderMemoryV1(s, mib(64)); got[0].file != "memory.memsw.limit_in_bytes" {
		t.Fatalf("unlimited: got order %v", got)
	}
}

func TestV2Settings(t *testing.T) {
	got, err := v2Settings(full())
	if err != nil {
		t.Fatal(err)
	}
	want := []setting{
		{"memory", "memory.max", "33554432"},
		{"memory", "memory.swap.max", "33554432"}, // 64 MiB total - 32 MiB memory
		{"memory", "memory.low", "16777216"},
		{"pids", "pids.max", "20"},
		{"cpu", "cpu.weight", "59"},
		{"cpu", "cpu.max", "50000 100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"cpuset", "cpuset.mems", "0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v2Settings:\n got %v\nwant %v", got, want)
	}
}

func TestV2Conversions(t *testing.T) {
	cases := []struct {
		name string
		res  *specs.LinuxResources
		want map[string]string
	}{
		{"unlimited memory and swap", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}},
			map[string]string{"memory.max": "max", "memory.swap.max": "max"}},
		{"swap equal to limit means no swap", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(mib(32)), Swap: i64(mib(32))}},
			map[string]string{"memory.max": "33554432", "memory.swap.max": "0"}},
		{"pids unlimited", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}},
			map[string]string{"pids.max": "max"}},
		{"default shares", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024)}},
			map[string]string{"cpu.weight": "100"}},
		{"min shares", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(2)}},
			map[string]string{"cpu.weight": "1"}},
		{"max shares", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(262144)}},
			map[string]string{"cpu.weight": "10000"}},
		{"quota alone keeps the period", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(20000)}},
			map[string]string{"cpu.max": "20000"}},
		{"period alone", &specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(50000)}},
			map[string]string{"cpu.max": "max 50000"}},
		{"unlimited quota", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1), Period: u64(100000)}},
			map[string]string{"cpu.max": "max 100000"}},
	}
	for _, c := range cases {
		s, err := v2Settings(c.res)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := files(s); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestV2SwapErrors(t *testing.T) {
	for _, m := range []*specs.LinuxMemory{
		{Swap: i64(mib(64))},                      // no limit to subtract
		{Limit: i64(-1), Swap: i64(mib(64))},      // unlimited memory, finite total
		{Limit: i64(mib(64)), Swap: i64(mib(32))}, // total below memory
	} {
		if _, err := v2Settings(&specs.LinuxResources{Memory: m}); !errors.Is(err, ErrInvalid) {
			t.Errorf("limit=%v swap=%v: got %v, want ErrInvalid", m.Limit, *m.Swap, err)
		}
	}
}

// v1's swappiness and OOM-killer switch have no v2 file: a config asking
// for them on a v2 host gets an error that names the field, not a silent
// drop. Swappiness unset (nil or the -1 engines send) asks for nothing.
func TestV2RefusesV1OnlyMemoryKnobs(t *testing.T) {
	sw, off, unset := uint64(10), true, ^uint64(0)
	for _, c := range []struct {
		m    *specs.LinuxMemory
		want string
	}{
		{&specs.LinuxMemory{Swappiness: &sw}, "memory.swappiness=10"},
		{&specs.LinuxMemory{DisableOOMKiller: &off}, "memory.disableOOMKiller"},
	} {
		_, err := v2Settings(&specs.LinuxResources{Memory: c.m})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want ErrInvalid naming %s", err, c.want)
		}
	}
	if _, err := v2Settings(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: &unset}}); err != nil {
		t.Errorf("swappiness -1 (unset): %v", err)
	}
}

// Docker's every-container zeros write nothing, on either version.
func TestZeroMeansUnset(t *testing.T) {
	var s0 uint64
	off := false
	r := &specs.LinuxResources{
		CPU:    &specs.LinuxCPU{Shares: &s0, Period: &s0, Quota: i64(0)},
		Memory: &specs.LinuxMemory{DisableOOMKiller: &off, Limit: i64(0), Swap: i64(0), Reservation: i64(0)},
		Pids:   &specs.LinuxPids{Limit: i64(0)},
	}
	if s := v1Settings(r); len(s) != 0 {
		t.Errorf("v1 wrote %v", s)
	}
	if s, err := v2Settings(r); err != nil || len(s) != 0 {
		t.Errorf("v2 wrote %v, %v", s, err)
	}
}

func TestAsks(t *testing.T) {
	var s0 uint64
	var w0 uint16
	off := false
	docker := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		BlockIO: &specs.LinuxBlockIO{Weight: &w0},
		CPU:     &specs.LinuxCPU{Shares: &s0},
		Memory:  &specs.LinuxMemory{DisableOOMKiller: &off},
		Pids:    &specs.LinuxPids{Limit: i64(0)},
	}
	if Asks(docker) || Asks(nil) {
		t.Fatal("Docker's zero values count as asking")
	}
	docker.Pids.Limit = i64(10)
	if !Asks(docker) {
		t.Fatal("pids.limit 10 does not count")
	}
}

func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }

// Everything runc 1.1 writes beyond memory, pids and cpu: blkio, hugetlb,
// net_cls, net_prio, rdma and the real-time budget.
func runcResources() *specs.LinuxResources {
	dev := func(rate uint64) []specs.LinuxThrottleDevice {
		d := specs.LinuxThrottleDevice{Rate: rate}
		d.Major, d.Minor = 254, 0
		return []specs.LinuxThrottleDevice{d}
	}
	wd := specs.LinuxWeightDevice{Weight: u16(300)}
	wd.Major, wd.Minor = 8, 16
	return &specs.LinuxResources{
		CPU: &specs.LinuxCPU{RealtimePeriod: u64(1000000), RealtimeRuntime: i64(10000)},
		BlockIO: &specs.LinuxBlockIO{
			Weight: u16(500), WeightDevice: []specs.LinuxWeightDevice{wd},
			ThrottleReadBpsDevice: dev(1 << 20), ThrottleWriteBpsDevice: dev(2 << 20),
			ThrottleReadIOPSDevice: dev(100), ThrottleWriteIOPSDevice: dev(0),
		},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Network:        &specs.LinuxNetwork{ClassID: u32(0x100001), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
		Rdma:           map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: u32(3)}, "mlx4_0": {HcaHandles: u32(1), HcaObjects: u32(100)}, "none": {}},
	}
}

func TestV1SettingsRuncResources(t *testing.T) {
	got := v1Settings(runcResources())
	want := []setting{
		{"cpu", "cpu.rt_period_us", "1000000"},
		{"cpu", "cpu.rt_runtime_us", "10000"},
		{"blkio", "blkio.weight", "500"},
		{"blkio", "blkio.weight_device", "8:16 300"},
		{"blkio", "blkio.throttle.read_bps_device", "254:0 1048576"},
		{"blkio", "blkio.throttle.write_bps_device", "254:0 2097152"},
		{"blkio", "blkio.throttle.read_iops_device", "254:0 100"},
		{"blkio", "blkio.throttle.write_iops_device", "254:0 0"}, // removes the limit
		{"hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"},
		{"net_cls", "net_cls.classid", "1048577"},
		{"net_prio", "net_prio.ifpriomap", "eth0 5"},
		{"rdma", "rdma.max", "mlx4_0 hca_handle=1 hca_object=100"},
		{"rdma", "rdma.max", "mlx5_1 hca_handle=3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v1Settings:\n got %v\nwant %v", got, want)
	}
}

func TestV2SettingsRuncResources(t *testing.T) {
	r := runcResources()
	for _, bad := range []struct {
		edit func(*specs.LinuxResources)
		want string
	}{
		{func(r *specs.LinuxResources) {}, "cgroup v2 has no real-time budget"},
		{func(r *specs.LinuxResources) { r.CPU = nil }, "cgroup v2 has no net_cls or net_prio"},
		{func(r *specs.LinuxResources) { r.Network = nil; r.BlockIO.LeafWeight = u16(100) }, "cgroup v2 has no leaf weight"},
	} {
		bad.edit(r)
		if _, err := v2Settings(r); err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bad.want) {
			t.Fatalf("got %v, want %q", err, bad.want)
		}
	}
	r.BlockIO.LeafWeight = nil
	r.Unified = map[string]string{"memory.high": "1048576", "io.max": "254:0 rbps=5"}
	got, err := v2Settings(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []setting{
		{"io", "io.bfq.weight", "500"},
		{"io", "io.bfq.weight", "8:16 300"},
		{"io", "io.max", "254:0 rbps=1048576"},
		{"io", "io.max", "254:0 wbps=2097152"},
		{"io", "io.max", "254:0 riops=100"},
		{"io", "io.max", "254:0 wiops=max"}, // io.max refuses 0
		{"hugetlb", "hugetlb.2MB.max", "4194304"},
		{"rdma", "rdma.max", "mlx4_0 hca_handle=1 hca_object=100"},
		{"rdma", "rdma.max", "mlx5_1 hca_handle=3"},
		{"io", "io.max", "254:0 rbps=5"}, // unified last, sorted: it wins
		{"memory", "memory.high", "1048576"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v2Settings:\n got %v\nwant %v", got, want)
	}
}

// The BFQ fallbacks, on a fake cgroup directory.
func TestBlkioWeightFiles(t *testing.T) {
	dir := t.TempDir()
	v1 := []setting{{"blkio", "blkio.weight", "500"}, {"blkio", "blkio.weight_device", "8:0 300"}, {"blkio", "blkio.throttle.read_bps_device", "8:0 1"}}
	if got := files(v1BlkioFiles(v1, dir)); got["blkio.bfq.weight"] != "500" || got["blkio.bfq.weight_device"] != "8:0 300" || got["blkio.throttle.read_bps_device"] != "8:0 1" {
		t.Fatalf("no blkio.weight: %v", got)
	}
	os.WriteFile(filepath.Join(dir, "blkio.weight"), nil, 0o644)
	if got := v1BlkioFiles(v1, dir); !reflect.DeepEqual(got, v1) {
		t.Fatalf("with blkio.weight: %v", got)
	}

	v2 := []setting{{"io", "io.bfq.weight", "500"}, {"io", "io.bfq.weight", "8:0 300"}, {"io", "io.max", "8:0 rbps=1"}}
	// No BFQ: io.weight on its scale, the device weight dropped.
	if got := v2IOWeights(v2, dir); !reflect.DeepEqual(got, []setting{{"io", "io.weight", "4950"}, {"io", "io.max", "8:0 rbps=1"}}) {
		t.Fatalf("no BFQ: %v", got)
	}
	// An old BFQ (a bare number): the weight there, no device weights.
	os.WriteFile(filepath.Join(dir, "io.bfq.weight"), []byte("100\n"), 0o644)
	if got := v2IOWeights(v2, dir); !reflect.DeepEqual(got, []setting{v2[0], v2[2]}) {
		t.Fatalf("old BFQ: %v", got)
	}
	os.WriteFile(filepath.Join(dir, "io.bfq.weight"), []byte("default 100\n"), 0o644)
	if got := v2IOWeights(v2, dir); !reflect.DeepEqual(got, v2) {
		t.Fatalf("BFQ: %v", got)
	}
	for w, want := range map[uint64]uint64{10: 1, 500: 4950, 1000: 10000} {
		if got := blkioToIOWeight(w); got != want {
			t.Errorf("blkioToIOWeight(%d) = %d, want %d", w, got, want)
		}
	}
}

func TestValidateHugetlbAndUnified(t *testing.T) {
	topo := topology{cpus: map[int]bool{0: true}, mems: map[int]bool{0: true}}
	for _, r := range []*specs.LinuxResources{
		{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "../2MB", Limit: 1}}},
		{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2M", Limit: 1}}},
		{Unified: map[string]string{"../memory.max": "1"}},
		{Unified: map[string]string{"memory": "1"}},
	} {
		if err := validate(r, topo); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: got %v", r, err)
		}
	}
	if err := validate(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "1GB"}}, Unified: map[string]string{"memory.high": "max"}}, topo); err != nil {
		t.Error(err)
	}
}

// runc 1.1 refuses unified off a pure v2 host; empty is unset anywhere.
func TestCheckUnified(t *testing.T) {
	if err := CheckUnified(&specs.LinuxResources{Unified: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	err := CheckUnified(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}})
	if Mode() == "v2" {
		if err != nil {
			t.Fatal(err)
		}
	} else if err == nil || !strings.Contains(err.Error(), "invalid configuration: cannot use unified on cgroup v1") {
		t.Fatalf("on a %s host: %v", Mode(), err)
	}
}
