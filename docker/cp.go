package docker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/docker/archive"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/state"
)

// Which root cp and export reach, and why:
//
//   - cp into or out of a running container goes through its init's root,
//     /proc/PID/root: that is the container's own mount namespace, with
//     its volumes, binds and tmpfs mounts where the container sees them,
//     as Docker's cp copies into a volume and not under it.
//   - cp of a stopped container, and export always, go through the
//     overlay the store mounted at containers/ID/rootfs: the container's
//     filesystem and nothing mounted on it (export never includes a
//     volume, as Docker's does not). For cp, the stopped container's
//     volumes and binds are mounted on that overlay in a mount namespace
//     of cp's own (cpvolumes.go), as Docker's cp reaches them.
//
// Either handle is pinned before it is used: the init's pid is checked to
// be the container's (start time) and still alive, through a pidfd, after
// its root is opened, so a pid reused meanwhile is never entered.

// RootFor is what OpenRoot is for.
type RootFor int

const (
	ForCopy RootFor = iota
	ForExport
)

// OpenRoot opens rec's root for a copy or an export, with the ownership
// rules of its user namespace, if it has one.
func OpenRoot(rt *container.Runtime, store *image.Store, rec *Record, why RootFor) (*archive.Root, error) {
	dir := filepath.Join(store.ContainersDir(), rec.ID)
	var f, held *os.File
	var err error
	pid, start := runningInit(rt, rec.ID)
	mounts := volumeMounts(rec)
	switch {
	case why == ForCopy && pid > 0:
		f, err = procRoot(pid, start)
	case why == ForCopy && len(mounts) > 0:
		f, held, err = openWithVolumes(filepath.Join(dir, "rootfs"), mounts)
	default:
		f, err = mountedRootfs(filepath.Join(dir, "rootfs"))
		if err != nil && pid > 0 {
			// A rootless container's overlay lives in its own mount
			// namespace only.
			f, err = procRoot(pid, start)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open the container's root: %w", err)
	}
	r := archive.ContainerRoot(f)
	if held != nil {
		r = archive.ContainerRootHeld(f, held)
	}
	r.Opts.SkipPseudoFS = true
	r.Opts.SameMount = why == ForExport
	if spec, err := config.LoadSpec(dir); err == nil && spec.Linux != nil && len(spec.Linux.UIDMappings) > 0 {
		uids, gids := spec.Linux.UIDMappings, spec.Linux.GIDMappings
		r.Opts.MapID = func(id archive.IDPair) archive.IDPair {
			return archive.IDPair{UID: mapID(uids, id.UID, false), GID: mapID(gids, id.GID, false)}
		}
		r.Opts.UnmapID = func(id archive.IDPair) archive.IDPair {
			return archive.IDPair{UID: mapID(uids, id.UID, true), GID: mapID(gids, id.GID, true)}
		}
	}
	return r, nil
}

// runningInit is the container's init pid and start time, if it runs.
func runningInit(rt *container.Runtime, id string) (int, uint64) {
	ctr, err := rt.Load(id)
	if err != nil {
		return 0, 0
	}
	st, err := ctr.State()
	if err != nil || st.Pid <= 0 || !state.Alive(st.Pid, st.InitStart) {
		return 0, 0
	}
	return st.Pid, st.InitStart
}

// procRoot opens /proc/PID/root of the init that started at start.
func procRoot(pid int, start uint64) (*os.File, error) {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(pfd)
	if st, err := state.StartTime(pid); err != nil || st != start {
		return nil, errdefs.New(errdefs.ErrNotRunning, fmt.Sprintf("pid %d is no longer the container's init", pid))
	}
	f, err := os.OpenFile("/proc/"+strconv.Itoa(pid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// Still alive after the open: the pidfd kept its pid from reuse, so
	// the root opened is that init's.
	if err := unix.PidfdSendSignal(pfd, 0, nil, 0); err != nil {
		f.Close()
		return nil, errdefs.New(errdefs.ErrNotRunning, fmt.Sprintf("the container's init (pid %d) exited", pid))
	}
	return f, nil
}

// mountedRootfs opens the store's overlay of a container, refusing the
// bare directory under it (not mounted: a rootless container's, or after
// a reboot), which would look like an empty container.
func mountedRootfs(p string) (*os.File, error) {
	f, err := os.OpenFile(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &fs); err != nil || fs.Type != unix.OVERLAYFS_SUPER_MAGIC {
		f.Close()
		return nil, fmt.Errorf("%s is not mounted (the container is stopped and its layers are not stacked)", p)
	}
	return f, nil
}

// mapID maps id through a user namespace's mappings: container to host,
// or back with reverse. An unmapped id becomes the overflow id 65534.
func mapID(m []specs.LinuxIDMapping, id int, reverse bool) int {
	for _, e := range m {
		from, to := int(e.ContainerID), int(e.HostID)
		if reverse {
			from, to = to, from
		}
		if id >= from && id < from+int(e.Size) {
			return to + id - from
		}
	}
	return 65534
}
