package container

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/rootfs"
)

// placeInCgroup creates the container's cgroup (linux.cgroupsPath, or
// /minirun/ID), moves the init into it and applies linux.resources. The
// parent does it right after the clone and before it sends the config, so
// everything the init does, and every process it starts, is already
// accounted and limited.
func placeInCgroup(s *specs.Spec, id string, pid int) (cgroups.Manager, error) {
	linux := linuxOf(s)
	mgr, err := cgroups.New(linux.CgroupsPath, id)
	if err != nil {
		return nil, stepErr("cgroup", err)
	}
	// Two containers sharing a cgroup would share limits, and deleting
	// one would kill the other's processes.
	if pids, err := mgr.Pids(); err == nil && len(pids) > 0 {
		return nil, stepErrf("cgroup", "%s is in use by pids %v", mgr.Path(), pids)
	}
	if err := mgr.Apply(pid); err != nil {
		_ = mgr.Delete()
		return nil, stepErr("cgroup", err)
	}
	if res := resourcesWithDevices(linux); res != nil {
		if err := mgr.Set(res); err != nil {
			return mgr, stepErr("cgroup resources", err)
		}
	}
	return mgr, nil
}

// resourcesWithDevices is linux.resources with allow rules appended for
// every node the runtime makes itself (the default devices and
// linux.devices) and for ptys, which the init opens for a terminal and
// exec -t later: a config that denies all devices must still get a
// working /dev/null and console.
// runc does the same. Without device rules nothing is added, so the
// cgroup keeps its parent's list, as the config asked.
func resourcesWithDevices(linux *specs.Linux) *specs.LinuxResources {
	res := linux.Resources
	if res == nil || len(res.Devices) == 0 {
		return res
	}
	out := *res
	out.Devices = append([]specs.LinuxDeviceCgroup(nil), res.Devices...)
	allow := func(typ string, major, minor int64) {
		out.Devices = append(out.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: "rwm"})
	}
	for _, d := range append(append([]specs.LinuxDevice(nil), rootfs.DefaultDevices...), linux.Devices...) {
		switch d.Type {
		case "c", "u":
			allow("c", d.Major, d.Minor)
		case "b":
			allow("b", d.Major, d.Minor)
		}
		// "p" (a fifo) is no device: the device cgroup never sees it.
	}
	// /dev/ptmx and the slaves of the container's own devpts instance.
	allow("c", 5, 2)
	allow("c", 136, -1)
	return &out
}

// wantsCgroup says whether a start manages a cgroup: it needs a name, an
// id or a cgroupsPath.
func wantsCgroup(s *specs.Spec, id string) bool {
	return id != "" || linuxOf(s).CgroupsPath != ""
}

// killCgroup kills every process left in the cgroup and waits until it is
// empty. Without a pid namespace the init's death kills nothing else, so
// this is what keeps delete from leaving processes behind. It freezes
// first so that a fork bomb can't outrun the listing.
func killCgroup(mgr cgroups.Manager, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		frozen := mgr.Freeze() == nil
		pids, err := mgr.Pids()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		if frozen {
			_ = mgr.Thaw()
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %s: pids %v still alive after SIGKILL", mgr.Path(), pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// removeCgroup kills what is left in the container's cgroup and removes it.
func removeCgroup(mgr cgroups.Manager) error {
	if mgr == nil {
		return nil
	}
	if err := killCgroup(mgr, 10*time.Second); err != nil {
		return stepErr("delete cgroup", err)
	}
	if err := mgr.Delete(); err != nil {
		return stepErr("delete cgroup", err)
	}
	return nil
}
