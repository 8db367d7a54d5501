package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Settings translates resources into cgroup v1 files. A nil or zero
// field means "leave as is" (Docker and runc read 0 the same way); -1 means
// unlimited, which v1 accepts literally except in pids.max.
//
// Memory is emitted limit first, then memory+swap; Set reverses the pair
// when the new total is above the current one (see orderMemoryV1).
func v1Settings(res *specs.LinuxResources) []setting {
	if res == nil {
		return nil
	}
	var out []setting
	if m := res.Memory; m != nil {
		if set(m.Limit) {
			out = append(out, setting{"memory", "memory.limit_in_bytes", itoa(*m.Limit)})
		}
		if set(m.Swap) {
			out = append(out, setting{"memory", "memory.memsw.limit_in_bytes", itoa(*m.Swap)})
		}
		if set(m.Reservation) {
			out = append(out, setting{"memory", "memory.soft_limit_in_bytes", itoa(*m.Reservation)})
		}
		if swappinessSet(m.Swappiness) {
			out = append(out, setting{"memory", "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10)})
		}
		if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
			out = append(out, setting{"memory", "memory.oom_control", "1"})
		}
	}
	if p := res.Pids; p != nil && set(p.Limit) {
		out = append(out, setting{"pids", "pids.max", pidsMax(*p.Limit)})
	}
	if c := res.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			out = append(out, setting{"cpu", "cpu.shares", strconv.FormatUint(*c.Shares, 10)})
		}
		// Period before quota, so the kernel judges the quota (and the
		// quota/period ratio against the parent's) with the new period.
		if c.Period != nil && *c.Period != 0 {
			out = append(out, setting{"cpu", "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10)})
		}
		if set(c.Quota) {
			out = append(out, setting{"cpu", "cpu.cfs_quota_us", itoa(*c.Quota)})
		}
		if c.Cpus != "" {
			out = append(out, setting{"cpuset", "cpuset.cpus", c.Cpus})
		}
		if c.Mems != "" {
			out = append(out, setting{"cpuset", "cpuset.mems", c.Mems})
		}
	}
	return out
}

// orderMemoryV1 puts memory.memsw.limit_in_bytes before memory.limit_in_bytes
// when the new memory+swap total is larger than the current one: the kernel
// keeps memsw >= limit at every step, so raising both in the usual order
// would fail on the first write.
func orderMemoryV1(settings []setting, currentMemsw int64) []setting {
	li, si := -1, -1
	for i, s := range settings {
		switch s.file {
		case "memory.limit_in_bytes":
			li = i
		case "memory.memsw.limit_in_bytes":
			si = i
		}
	}
	if li < 0 || si < 0 || li > si {
		return settings
	}
	newMemsw, err := strconv.ParseInt(settings[si].value, 10, 64)
	if err != nil {
		return settings
	}
	if unlimited(newMemsw) > unlimited(currentMemsw) {
		out := append([]setting(nil), settings...)
		out[li], out[si] = out[si], out[li]
		return out
	}
	return settings
}

// unlimited maps v1's "-1" onto the top of the range so it compares above
// any finite value, including the large number the kernel reads back for
// "no limit".
func unlimited(v int64) int64 {
	if v < 0 {
		return 1<<63 - 1
	}
	return v
}

func set(p *int64) bool { return p != nil && *p != 0 }

// swappinessSet: 0 is a real swappiness (swap only to avoid OOM), so only
// nil and Docker's -1 (which reaches a uint64 as its top value) mean
// "leave as is", as in runc.
func swappinessSet(p *uint64) bool { return p != nil && int64(*p) != -1 }

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// pidsMax: pids.max takes "max", not -1, for "no limit" in both versions
// (0 never gets here: as in runc, it means "leave as is").
func pidsMax(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return itoa(limit)
}
