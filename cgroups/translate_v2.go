package cgroups

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v2Settings translates resources (written in v1 terms by the spec) into
// unified-hierarchy files. Differences from v1 that matter:
//   - -1 is written as "max";
//   - linux.resources.memory.swap is memory+swap, but memory.swap.max is the
//     swap alone, so it becomes swap-limit;
//   - cpu.shares (2..262144) becomes cpu.weight (1..10000);
//   - quota and period share one file, cpu.max.
//
// Resources are assumed validated (validate rejects swap below limit).
func v2Settings(res *specs.LinuxResources) ([]setting, error) {
	if res == nil {
		return nil, nil
	}
	var out []setting
	if m := res.Memory; m != nil {
		// memory.max before memory.swap.max is fine in v2: the two files
		// are independent, unlike v1's memsw >= limit rule.
		if set(m.Limit) {
			out = append(out, setting{"memory", "memory.max", maxOr(*m.Limit)})
		}
		if set(m.Swap) {
			v, err := v2Swap(m.Limit, *m.Swap)
			if err != nil {
				return nil, err
			}
			out = append(out, setting{"memory", "memory.swap.max", v})
		}
		if set(m.Reservation) {
			out = append(out, setting{"memory", "memory.low", maxOr(*m.Reservation)})
		}
		// v1's knobs with no v2 file: said, not dropped.
		if swappinessSet(m.Swappiness) {
			return nil, fmt.Errorf("cgroups: linux.resources.memory.swappiness=%d: cgroup v2 has no per-cgroup swappiness: %w", *m.Swappiness, ErrInvalid)
		}
		if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
			return nil, fmt.Errorf("cgroups: linux.resources.memory.disableOOMKiller: cgroup v2 can't turn the OOM killer off for a cgroup: %w", ErrInvalid)
		}
	}
	if p := res.Pids; p != nil && set(p.Limit) {
		out = append(out, setting{"pids", "pids.max", pidsMax(*p.Limit)})
	}
	if c := res.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			w := cgroup2.ConvertCPUSharesToCgroupV2Value(*c.Shares)
			out = append(out, setting{"cpu", "cpu.weight", strconv.FormatUint(w, 10)})
		}
		if v := v2CPUMax(c.Quota, c.Period); v != "" {
			out = append(out, setting{"cpu", "cpu.max", v})
		}
		if c.Cpus != "" {
			out = append(out, setting{"cpuset", "cpuset.cpus", c.Cpus})
		}
		if c.Mems != "" {
			out = append(out, setting{"cpuset", "cpuset.mems", c.Mems})
		}
		if nonZero(c.RealtimePeriod) || set(c.RealtimeRuntime) {
			return nil, fmt.Errorf("cgroups: linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no real-time budget: %w", ErrInvalid)
		}
	}
	io, err := v2IOSettings(res.BlockIO)
	if err != nil {
		return nil, err
	}
	out = append(out, io...)
	for _, h := range res.HugepageLimits {
		out = append(out, setting{"hugetlb", "hugetlb." + h.Pagesize + ".max", strconv.FormatUint(h.Limit, 10)})
	}
	if n := res.Network; n != nil && (n.ClassID != nil && *n.ClassID != 0 || len(n.Priorities) > 0) {
		return nil, fmt.Errorf("cgroups: linux.resources.network: cgroup v2 has no net_cls or net_prio controller: %w", ErrInvalid)
	}
	out = append(out, rdmaSettings(res.Rdma)...)
	// Last, so a raw value wins over the translated one, as in runc.
	for _, k := range slices.Sorted(maps.Keys(res.Unified)) {
		ctrl, _, _ := strings.Cut(k, ".")
		out = append(out, setting{ctrl, k, res.Unified[k]})
	}
	return out, nil
}

// v2IOSettings: the weights go to io.bfq.weight (BFQ's, in blkio's
// 10..1000 range); v2Manager.Set falls back to io.weight, converted, when
// the kernel has no BFQ file, as runc does. Throttles go to io.max.
func v2IOSettings(b *specs.LinuxBlockIO) ([]setting, error) {
	if b == nil {
		return nil, nil
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		return nil, fmt.Errorf("cgroups: linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight: %w", ErrInvalid)
	}
	var out []setting
	if b.Weight != nil && *b.Weight != 0 {
		out = append(out, setting{"io", "io.bfq.weight", strconv.FormatUint(uint64(*b.Weight), 10)})
	}
	for _, d := range b.WeightDevice {
		if d.LeafWeight != nil && *d.LeafWeight != 0 {
			return nil, fmt.Errorf("cgroups: linux.resources.blockIO.weightDevice %d:%d leafWeight: cgroup v2 has no leaf weight: %w", d.Major, d.Minor, ErrInvalid)
		}
		if d.Weight != nil && *d.Weight != 0 {
			out = append(out, setting{"io", "io.bfq.weight", devValue(d.Major, d.Minor, "", uint64(*d.Weight))})
		}
	}
	for _, t := range []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice},
		{"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice},
		{"wiops", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			// v1 reads a rate of 0 as "remove this limit"; io.max refuses
			// 0 and spells that "max".
			v := devValue(d.Major, d.Minor, t.key, d.Rate)
			if d.Rate == 0 {
				v = itoa(d.Major) + ":" + itoa(d.Minor) + " " + t.key + "=max"
			}
			out = append(out, setting{"io", "io.max", v})
		}
	}
	return out, nil
}

// blkioToIOWeight maps blkio's weight range (10..1000, default 500) onto
// io.weight's (1..10000, default 100) linearly, as runc and crun do, so a
// weight means the same share on either version.
func blkioToIOWeight(w uint64) uint64 {
	if w < 10 {
		w = 10
	}
	return 1 + (w-10)*9999/990
}

// v2Swap converts the spec's memory+swap total into memory.swap.max.
func v2Swap(limit *int64, swap int64) (string, error) {
	if swap < 0 {
		return "max", nil
	}
	if !set(limit) || *limit < 0 {
		return "", fmt.Errorf("cgroups: memory.swap=%d needs a finite memory.limit on cgroup v2: %w", swap, ErrInvalid)
	}
	if swap < *limit {
		return "", fmt.Errorf("cgroups: memory.swap=%d is below memory.limit=%d: %w", swap, *limit, ErrInvalid)
	}
	return itoa(swap - *limit), nil
}

// v2CPUMax builds "QUOTA PERIOD" for cpu.max. The kernel accepts the quota
// alone and keeps the period; a period alone has to spell the quota, and
// "max" (no limit) is the only value we can know without reading the file.
func v2CPUMax(quota *int64, period *uint64) string {
	q := ""
	if set(quota) {
		q = maxOr(*quota)
	}
	if period == nil || *period == 0 {
		return q
	}
	if q == "" {
		q = "max"
	}
	return q + " " + strconv.FormatUint(*period, 10)
}

func maxOr(v int64) string {
	if v < 0 {
		return "max"
	}
	return itoa(v)
}
