package container

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/state"
)

// Update writes new resource limits to a live container's cgroup (runc
// update). containerd's shim runs it for CRI's UpdateContainerResources,
// which the kubelet sends for its CPU manager and for in-place pod
// resize. A nil or zero field leaves that limit as it is.
//
// Device rules are left as the container was created with, as runc's
// update leaves them: on cgroup v1 rewriting the list starts with "deny
// all", and a process of the container opening /dev/null in between
// would fail.
func (c *Container) Update(res *specs.LinuxResources) error {
	sr, err := state.OpenRoot(c.rt.Root)
	if err != nil {
		return stepErr("update", err)
	}
	id := c.ID
	h, st, err := open(sr, id)
	if err != nil {
		return stepErr("update", err)
	}
	defer h.Unlock()
	switch st.Status {
	case specs.StateCreated, specs.StateRunning, StatePaused:
	default:
		return stepErrf("update", "container %s is %s: %w", id, st.Status, ErrNotRunning)
	}
	if st.CgroupPath == "" {
		return stepErrf("update", "container %s has no cgroup", id)
	}
	mgr, err := cgroups.Load(st.CgroupPath)
	if err != nil {
		return stepErr("update", err)
	}
	return stepErr("update", mgr.Set(updatable(res)))
}

// updatable is what runc's update changes: memory, cpu (with the real-time
// budget and cpuset), pids, the block I/O weight and linux.resources.unified.
// containerd sends a container's whole linux.resources to update, hugepage
// limits included (the kubelet's are 0, a real limit); rewriting those, or
// the blkio throttles, is not what an update asks, and on a host without
// the controller (hugetlb on a hybrid host) it would fail every update.
func updatable(res *specs.LinuxResources) *specs.LinuxResources {
	r := *res
	r.Devices, r.HugepageLimits, r.Network, r.Rdma = nil, nil, nil, nil
	if b := res.BlockIO; b != nil {
		r.BlockIO = &specs.LinuxBlockIO{Weight: b.Weight}
	}
	return &r
}
