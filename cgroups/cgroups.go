// Package cgroups places a container's processes in a control group and
// applies linux.resources to it. It hides whether the host runs cgroup v1
// (or hybrid, where the v1 controllers do the work) or the unified v2
// hierarchy, so the rest of minirun codes against one small Manager.
//
// minirun never talks to systemd: a systemd-style cgroupsPath
// ("slice:prefix:name") is mapped onto a plain cgroupfs path.
package cgroups

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/containerd/cgroups/v3"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
)

// Manager controls one container's cgroup, across every controller.
type Manager interface {
	// Apply moves pid into the cgroup in every controller.
	Apply(pid int) error
	// Set writes the device rules, memory (limit, reservation, swap; on
	// v1 also swappiness and disableOOMKiller, which v2 has no files for),
	// pids, cpu (shares, quota, period; real-time runtime and period on
	// v1), cpuset (cpus, mems), blkio/io (weights, throttles), hugetlb,
	// net_cls and net_prio (v1), rdma and, on v2, linux.resources.unified:
	// what runc 1.1 writes. A zero or empty field is left alone. It
	// validates first, so an invalid spec changes nothing.
	Set(res *specs.LinuxResources) error
	// Freeze pauses every process in the cgroup through the freezer.
	Freeze() error
	// Thaw resumes what Freeze paused.
	Thaw() error
	// Pids lists every process in the cgroup and its descendants.
	Pids() ([]int, error)
	// Path is the cgroup path inside each hierarchy, e.g. "/minirun/ID".
	// Store it; Load takes it back.
	Path() string
	// Delete removes the cgroup directories. It kills nothing: callers
	// must stop the processes first. Deleting twice is not an error.
	Delete() error
}

// ErrInvalid marks a cgroupsPath or linux.resources that minirun refuses.
var ErrInvalid = errdefs.New(errdefs.ErrInvalid, "invalid cgroup configuration")

// New creates (or opens) the cgroup for container id. path is
// linux.cgroupsPath: absolute ("/minirun/ID"), empty (then "/minirun/<id>"),
// or systemd style "slice:prefix:name".
func New(path, id string) (Manager, error) {
	p, err := resolvePath(path, id)
	if err != nil {
		return nil, err
	}
	switch cgroups.Mode() {
	case cgroups.Unified:
		return newV2(v2Mountpoint, p)
	case cgroups.Legacy, cgroups.Hybrid:
		return newV1(p)
	default:
		return nil, fmt.Errorf("cgroups: create %s: no cgroup hierarchy mounted at /sys/fs/cgroup", p)
	}
}

// Load re-opens an existing cgroup, e.g. for pause, resume, ps or delete run
// from another minirun process. path is what Manager.Path returned (any
// form New accepts, except empty). A cgroup that is gone yields an error
// matching fs.ErrNotExist.
func Load(path string) (Manager, error) {
	if path == "" {
		return nil, fmt.Errorf("cgroups: load: empty path: %w", ErrInvalid)
	}
	p, err := resolvePath(path, "")
	if err != nil {
		return nil, err
	}
	switch cgroups.Mode() {
	case cgroups.Unified:
		return loadV2(v2Mountpoint, p)
	case cgroups.Legacy, cgroups.Hybrid:
		return loadV1(p)
	default:
		return nil, fmt.Errorf("cgroups: load %s: no cgroup hierarchy mounted at /sys/fs/cgroup", p)
	}
}

// Mode names the host's cgroup layout for --debug and features: "v1",
// "hybrid" or "v2" ("unavailable" when nothing is mounted).
func Mode() string {
	return modeName(cgroups.Mode())
}

func modeName(m cgroups.CGMode) string {
	switch m {
	case cgroups.Legacy:
		return "v1"
	case cgroups.Hybrid:
		return "hybrid"
	case cgroups.Unified:
		return "v2"
	default:
		return "unavailable"
	}
}

// AllPids is mgr's processes for killing them all: on v1, from every
// hierarchy the cgroup exists in, even one only partly made.
func AllPids(mgr Manager) ([]int, error) {
	if v1, ok := mgr.(*v1Manager); ok {
		return v1.allPids()
	}
	return mgr.Pids()
}

// Processes lists the processes in the cgroup at a resolved path and below
// it, without creating anything: none when the cgroup doesn't exist.
func Processes(path string) ([]int, error) {
	mgr, err := Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// A cgroup made beforehand in only some v1 hierarchies (runc's
	// update.bats makes one under cpu alone) is listed wherever it is:
	// all of them together hold every process it has.
	return AllPids(mgr)
}
