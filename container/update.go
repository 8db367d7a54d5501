package container

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/cgroups"
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
func Update(root, id string, res *specs.LinuxResources) error {
	h, st, err := open(root, id)
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
	r := *res
	r.Devices = nil
	return stepErr("update", mgr.Set(&r))
}
