package cgroups

import (
	"fmt"
	"strconv"

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
	}
	return out, nil
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
