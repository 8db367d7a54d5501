package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v2Mountpoint is the unified hierarchy on a pure v2 host. Tests point a
// v2Manager at another cgroup2 mount (the hybrid host's .../unified).
const v2Mountpoint = "/sys/fs/cgroup"

// v2Controllers are those Set writes to; each must be enabled in every
// ancestor's cgroup.subtree_control before its files appear.
var v2Controllers = []string{"cpu", "cpuset", "hugetlb", "io", "memory", "pids", "rdma"}

// v2Manager drives one cgroup in a unified hierarchy. As on v1, the
// library creates the directory, enables controllers and moves and lists
// pids; resource files and the freezer are written here.
type v2Manager struct {
	mount string
	path  string
	cg    *cgroup2.Manager
}

func newV2(mount, path string) (Manager, error) {
	cg, err := cgroup2.NewManager(mount, path, &cgroup2.Resources{})
	if err != nil {
		return nil, fmt.Errorf("cgroups: create %s in %s: %w", path, mount, err)
	}
	// Enable only what the root offers: asking for a missing controller
	// fails the whole write, and a host may lack one (the hybrid host's
	// unified mount holds only hugetlb). Set then reports the missing file.
	avail, err := cg.RootControllers()
	if err != nil {
		return nil, fmt.Errorf("cgroups: create %s: read %s/cgroup.controllers: %w", path, mount, err)
	}
	var want []string
	for _, c := range v2Controllers {
		if slices.Contains(avail, c) {
			want = append(want, c)
		}
	}
	if len(want) > 0 {
		if err := cg.ToggleControllers(want, cgroup2.Enable); err != nil {
			return nil, fmt.Errorf("cgroups: create %s: enable %v: %w", path, want, err)
		}
	}
	return &v2Manager{mount: mount, path: path, cg: cg}, nil
}

func loadV2(mount, path string) (Manager, error) {
	if _, err := os.Stat(filepath.Join(mount, path)); err != nil {
		return nil, fmt.Errorf("cgroups: load %s from %s: %w", path, mount, err)
	}
	cg, err := cgroup2.Load(path, cgroup2.WithMountpoint(mount))
	if err != nil {
		return nil, fmt.Errorf("cgroups: load %s from %s: %w", path, mount, err)
	}
	return &v2Manager{mount: mount, path: path, cg: cg}, nil
}

func (m *v2Manager) Path() string { return m.path }

func (m *v2Manager) dir() string { return filepath.Join(m.mount, m.path) }

func (m *v2Manager) Apply(pid int) error {
	if err := m.cg.AddProc(uint64(pid)); err != nil {
		return fmt.Errorf("cgroups: apply pid %d to %s: %w", pid, m.dir(), err)
	}
	return nil
}

func (m *v2Manager) Set(res *specs.LinuxResources) error {
	if res == nil {
		return nil
	}
	topo, err := hostTopology()
	if err != nil {
		return err
	}
	if err := validate(res, topo); err != nil {
		return err
	}
	settings, err := v2Settings(res)
	if err != nil {
		return err
	}
	warnIgnored(res)
	settings = v2IOWeights(settings, m.dir())
	devices, err := parseDeviceRules(res.Devices)
	if err != nil {
		return err
	}
	// The filter goes in first: devices are the one setting that guards
	// the host, so a container must not run unfiltered behind a bad limit.
	if err := setDevicesV2(m.dir(), devices); err != nil {
		return err
	}
	return writeSettings(settings, func(string) string { return m.dir() })
}

func (m *v2Manager) Freeze() error {
	err := freezer{dir: m.dir(), file: "cgroup.freeze", value: "1", done: v2FrozenIs("1")}.run()
	if err != nil {
		_ = m.Thaw()
	}
	return err
}

func (m *v2Manager) Thaw() error {
	return freezer{dir: m.dir(), file: "cgroup.freeze", value: "0", done: v2FrozenIs("0")}.run()
}

func (m *v2Manager) Pids() ([]int, error) {
	procs, err := m.cg.Procs(true)
	if err != nil {
		return nil, fmt.Errorf("cgroups: list processes of %s: %w", m.dir(), err)
	}
	pids := make([]int, 0, len(procs))
	for _, p := range procs {
		pids = append(pids, int(p))
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}

func (m *v2Manager) Delete() error {
	return removeTree(m.dir())
}
