package cgroups

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Asks reports whether res asks for any limit other than device rules. A
// zero or empty value is "not set", as runc reads it: Docker sends
// blockIO.weight 0, cpu.shares 0 and memory.disableOOMKiller false on
// every container, and none of them asks for anything.
func Asks(res *specs.LinuxResources) bool {
	if res == nil {
		return false
	}
	if m := res.Memory; m != nil && (set(m.Limit) || set(m.Swap) || set(m.Reservation) || set(m.Kernel) ||
		set(m.KernelTCP) || swappinessSet(m.Swappiness) || isTrue(m.DisableOOMKiller) || isTrue(m.UseHierarchy)) {
		return true
	}
	if c := res.CPU; c != nil && (nonZero(c.Shares) || set(c.Quota) || nonZero(c.Period) || set(c.RealtimeRuntime) ||
		nonZero(c.RealtimePeriod) || c.Cpus != "" || c.Mems != "" || set(c.Idle) || nonZero(c.Burst)) {
		return true
	}
	if p := res.Pids; p != nil && set(p.Limit) {
		return true
	}
	if b := res.BlockIO; b != nil && (b.Weight != nil && *b.Weight != 0 || b.LeafWeight != nil && *b.LeafWeight != 0 ||
		len(b.WeightDevice) > 0 || len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0) {
		return true
	}
	if n := res.Network; n != nil && (n.ClassID != nil && *n.ClassID != 0 || len(n.Priorities) > 0) {
		return true
	}
	return len(res.HugepageLimits) > 0 || len(res.Rdma) > 0 || len(res.Unified) > 0
}

func nonZero(p *uint64) bool { return p != nil && *p != 0 }
func isTrue(p *bool) bool    { return p != nil && *p }
