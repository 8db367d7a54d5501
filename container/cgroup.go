package container

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/rootfs"
	"github.com/minirun/minirun/state"
)

// placeInCgroup creates the container's cgroup (linux.cgroupsPath, or
// /minirun/ID), moves the init into it and applies linux.resources. The
// parent does it right after the clone, while the init decodes its config
// and before it tells the init to go on, so everything the init does, and
// every process it starts, is already accounted and limited.
//
// record is told the path once it is known to be free and before anything
// is created there: a minirun killed from then on leaves a state that
// names the cgroup, so delete -f finds and removes it.
func placeInCgroup(linux *specs.Linux, path, id string, pid int, record func(path string) error) (cgroups.Manager, error) {
	// Checked before the directories exist: a refused start must not
	// create (and then remove) anything in a cgroup that isn't its own.
	if err := checkCgroupFree(path); err != nil {
		return nil, err
	}
	if err := record(path); err != nil {
		return nil, err
	}
	mgr, err := cgroups.New(path, id)
	if err != nil {
		return nil, stepErr("cgroup", err)
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

// checkCgroupNesting refuses a cgroup that is, contains or lies inside the
// cgroup of another container under root, running or not: whichever sits
// higher could pause, kill --all or delete -f the other, and deleting a
// stopped container kills what is left below its cgroup. Listing pids
// alone misses a cgroup placed below a live container.
func checkCgroupNesting(sr *state.Root, id, path string) error {
	ids, err := sr.List()
	if err != nil {
		return stepErr("cgroup", err)
	}
	for _, other := range ids {
		if other == id {
			continue
		}
		theirs, err := cgroupOf(sr, other)
		if err != nil {
			return stepErrf("cgroup", "check %s against container %s: %w", path, other, err)
		}
		if theirs == path {
			return stepErrf("cgroup", "%s is already the cgroup of container %s; refused, as pausing, killing --all or deleting either would reach the other's processes (runc shares it, warning that the container's cgroup is not empty)", path, other)
		}
		if theirs != "" && cgroups.Nested(path, theirs) {
			return stepErrf("cgroup", "%s overlaps %s, the cgroup of container %s", path, theirs, other)
		}
	}
	return nil
}

// cgroupOf is the cgroup of a container in state, "" if it has none or is
// gone. One still being created has not recorded it yet; its saved config
// says where it goes.
func cgroupOf(sr *state.Root, id string) (string, error) {
	st, err := sr.Read(id)
	if errors.Is(err, state.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if st.CgroupPath != "" || st.Status != specs.StateCreating {
		return st.CgroupPath, nil
	}
	s, err := sr.ReadSpec(id)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, state.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return cgroups.Resolve(config.LinuxOf(s).CgroupsPath, id)
}

// checkCgroupFree refuses a cgroup that already holds processes, here or
// below: two containers sharing a cgroup would share limits, pausing one
// would freeze the other, and kill --all or deleting one would kill the
// other's processes (delete kills whatever is left in the cgroup). runc
// 1.1 only warns, in the words the message starts with (cgroups.bats "runc
// run/create should warn about a non-empty cgroup" runs a second container
// in the first one's cgroup); minirun refuses, as documented in
// docs/conformance.md. A cgroup whose processes can't be listed is refused
// too; skipping the check would let exactly that through.
func checkCgroupFree(path string) error {
	pids, err := cgroups.Processes(path)
	if err != nil {
		return stepErr("cgroup", err)
	}
	if len(pids) > 0 {
		return stepErrf("cgroup", "container's cgroup is not empty: %s holds %s of another container or program; refused, as pausing, killing --all or deleting this container would reach them (runc only warns)", path, pidList(pids))
	}
	// An init placed in a frozen cgroup never runs, and the start would
	// hang waiting for it. runc's words, which its scripts match.
	if cgroups.Frozen(path) {
		return stepErrf("cgroup", "%s: container's cgroup unexpectedly frozen", path)
	}
	return nil
}

// resourcesWithDevices is linux.resources with the device rules the
// runtime always applies: deny everything first, then the config's own
// rules, then the fixed set every container has (defaultDeviceRules).
// Starting from deny-all matters for a config that has no device rules at
// all (the OCI validation suite's, a hand-written one): the cgroup would
// otherwise inherit its parent's "a *:* rwm", and with CAP_MKNOD the
// container could open any disk of the host. runc does the same. A config
// that allows all devices (--privileged) still gets them, as its rule
// comes after the deny.
//
// A node in linux.devices gets no rule of its own: making a node grants
// no access to it, only linux.resources.devices does, as in runc (its
// dev.bats "device cgroup deny" writes /dev/kmsg under deny-all and must
// get EPERM). Engines that pass a host device (Docker's --device,
// containerd's CRI, podman) list an allow rule for it themselves.
func resourcesWithDevices(linux *specs.Linux) *specs.LinuxResources {
	res := linux.Resources
	if res == nil {
		res = &specs.LinuxResources{}
	}
	out := *res
	out.Devices = append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, res.Devices...)
	out.Devices = append(out.Devices, defaultDeviceRules()...)
	return &out
}

// defaultDeviceRules is the device access every container has whatever its
// config says, runc 1.1.5's list (specconv.AllowedDevices): mknod of any
// node, which grants no access by itself; the nodes rootfs.DefaultDevices
// makes; /dev/ptmx and the slaves of the container's own devpts instance,
// which the init opens for a terminal (the console is one of those
// slaves); and tun/tap, which runc dropped in 1.2.0-rc1 and put back for
// the engines that had come to rely on it.
func defaultDeviceRules() []specs.LinuxDeviceCgroup {
	var out []specs.LinuxDeviceCgroup
	allow := func(typ string, major, minor int64, access string) {
		out = append(out, specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: access})
	}
	allow("c", -1, -1, "m")
	allow("b", -1, -1, "m")
	for _, d := range rootfs.DefaultDevices {
		allow(d.Type, d.Major, d.Minor, "rwm")
	}
	allow("c", 5, 2, "rwm")
	allow("c", 136, -1, "rwm")
	allow("c", 10, 200, "rwm")
	return out
}

// killCgroup kills every process left in the cgroup and waits until it is
// empty. Without a pid namespace the init's death kills nothing else, so
// this is what keeps delete from leaving processes behind. It freezes
// first so that a fork bomb can't outrun the listing.
func killCgroup(mgr cgroups.Manager, within time.Duration) error {
	deadline := time.Now().Add(within)
	// The common case, a container whose processes are all gone (its pid
	// namespace died with its init): one listing, no freeze and thaw,
	// which on v1 cost two writes and polls of freezer.state. An empty
	// cgroup can't gain a process by itself: only one of its own could
	// fork into it.
	pids, err := cgroups.AllPids(mgr)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(pids) == 0) {
		return nil
	}
	for {
		frozen := mgr.Freeze() == nil
		pids, err := cgroups.AllPids(mgr)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, pid := range pids {
			_ = state.Signal(pid, 0, unix.SIGKILL)
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
	timer.Step("delete: kill cgroup")
	if err := mgr.Delete(); err != nil {
		return stepErr("delete cgroup", err)
	}
	return nil
}

// pidList is "pid 7" or "pids 7, 8, 9", the first ten and how many more.
func pidList(pids []int) string {
	if len(pids) == 1 {
		return fmt.Sprintf("pid %d", pids[0])
	}
	var b strings.Builder
	b.WriteString("pids ")
	for i, p := range pids {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(pids)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}
