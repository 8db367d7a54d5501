package cgroups

import (
	"maps"
	"slices"
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
		// But a shorter period under the old quota can itself break the
		// parent's ratio (EINVAL): so with a quota it comes again after
		// it, and the first write may fail (writeSettings), as runc does.
		var period []setting
		if c.Period != nil && *c.Period != 0 {
			period = []setting{{"cpu", "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10)}}
			out = append(out, period...)
		}
		if set(c.Quota) {
			out = append(out, setting{"cpu", "cpu.cfs_quota_us", itoa(*c.Quota)})
			out = append(out, period...)
		}
		if c.Cpus != "" {
			out = append(out, setting{"cpuset", "cpuset.cpus", c.Cpus})
		}
		if c.Mems != "" {
			out = append(out, setting{"cpuset", "cpuset.mems", c.Mems})
		}
		// Period first: the kernel checks the runtime against it.
		if nonZero(c.RealtimePeriod) {
			out = append(out, setting{"cpu", "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10)})
		}
		if set(c.RealtimeRuntime) {
			out = append(out, setting{"cpu", "cpu.rt_runtime_us", itoa(*c.RealtimeRuntime)})
		}
	}
	out = append(out, v1BlkioSettings(res.BlockIO)...)
	for _, h := range res.HugepageLimits {
		out = append(out, setting{"hugetlb", "hugetlb." + h.Pagesize + ".limit_in_bytes", strconv.FormatUint(h.Limit, 10)})
	}
	if n := res.Network; n != nil {
		if n.ClassID != nil && *n.ClassID != 0 {
			out = append(out, setting{"net_cls", "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10)})
		}
		for _, p := range n.Priorities {
			out = append(out, setting{"net_prio", "net_prio.ifpriomap", p.Name + " " + strconv.FormatUint(uint64(p.Priority), 10)})
		}
	}
	return append(out, rdmaSettings(res.Rdma)...)
}

// v1BlkioSettings: the weights are written to blkio.weight and
// blkio.weight_device (CFQ's); v1Manager.Set renames them to BFQ's files on
// a kernel that has those instead, as runc does. A zero weight is unset.
func v1BlkioSettings(b *specs.LinuxBlockIO) []setting {
	if b == nil {
		return nil
	}
	var out []setting
	if b.Weight != nil && *b.Weight != 0 {
		out = append(out, setting{"blkio", "blkio.weight", strconv.FormatUint(uint64(*b.Weight), 10)})
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		out = append(out, setting{"blkio", "blkio.leaf_weight", strconv.FormatUint(uint64(*b.LeafWeight), 10)})
	}
	for _, d := range b.WeightDevice {
		if d.Weight != nil && *d.Weight != 0 {
			out = append(out, setting{"blkio", "blkio.weight_device", devValue(d.Major, d.Minor, "", uint64(*d.Weight))})
		}
		if d.LeafWeight != nil && *d.LeafWeight != 0 {
			out = append(out, setting{"blkio", "blkio.leaf_weight_device", devValue(d.Major, d.Minor, "", uint64(*d.LeafWeight))})
		}
	}
	// A throttle rate of 0 is kept: written, it removes that device's limit.
	for _, t := range []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			out = append(out, setting{"blkio", t.file, devValue(d.Major, d.Minor, "", d.Rate)})
		}
	}
	return out
}

// devValue is "MAJ:MIN VALUE", or "MAJ:MIN KEY=VALUE" for v2's io.max.
func devValue(major, minor int64, key string, v uint64) string {
	s := itoa(major) + ":" + itoa(minor) + " "
	if key != "" {
		s += key + "="
	}
	return s + strconv.FormatUint(v, 10)
}

// rdmaSettings writes rdma.max, the same file and format in v1 and v2, one
// device per write, in name order. A device with neither limit sets
// nothing.
func rdmaSettings(rdma map[string]specs.LinuxRdma) []setting {
	var out []setting
	for _, name := range slices.Sorted(maps.Keys(rdma)) {
		l := rdma[name]
		v := name
		if l.HcaHandles != nil {
			v += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
		}
		if l.HcaObjects != nil {
			v += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
		}
		if v != name {
			out = append(out, setting{"rdma", "rdma.max", v})
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
