package cgroups

import (
	"errors"
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
