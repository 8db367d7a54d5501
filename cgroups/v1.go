package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v1Root is where the v1 hierarchies are mounted, one directory per
// controller (also on hybrid hosts, where they do all the work).
const v1Root = "/sys/fs/cgroup"

// v1Hierarchy is the mounted v1 hierarchies, read once per process: a
// run asked for them three times (create, load for delete, delete), 2.4%
// of the parent's CPU.
var v1Hierarchy = sync.OnceValues(func() ([]cgroup1.Subsystem, error) {
	subs, err := cgroup1.Default()
	if err != nil {
		return nil, err
	}
	return cgroupMounts(withUnified(subs, statfsType), statfsType)
})

// hybridDir is where a hybrid host mounts its cgroup2 hierarchy, beside
// the v1 ones.
const hybridDir = "unified"

// withUnified adds the cgroup2 hierarchy of a hybrid host
// (/sys/fs/cgroup/unified) to the v1 ones, as a named hierarchy: the
// container is created, placed and listed there too, under the same path,
// and removed from it on delete, as runc does on such a host (cgroups.bats
// "runc exec (cgroup v1+hybrid joins correct cgroup)" reads the "0::"
// line of /proc/PID/cgroup). It holds no controller the v1 hierarchies
// lack but hugetlb, which runc's v1 manager does not drive there either,
// so nothing is written to it but cgroup.procs.
func withUnified(subs []cgroup1.Subsystem, fsType func(string) (int64, error)) []cgroup1.Subsystem {
	if t, err := fsType(filepath.Join(v1Root, hybridDir)); err != nil || t != unix.CGROUP2_SUPER_MAGIC {
		return subs
	}
	return append(subs, cgroup1.NewNamed(v1Root, hybridDir))
}

// cgroupMounts keeps the subsystems whose directory is a cgroup mount.
// The library's Default takes every name of its fixed controller list
// whose directory exists under the mount root. On v1 and hybrid hosts
// that root is a tmpfs, where any root process (a script, a package's test)
// may have made net_cls or perf_event as a plain directory; taken for a
// hierarchy, New made the container's directory in it and wrote its
// cgroup.procs as an ordinary file, so the kill before a delete read the
// dead init's pid back forever and the delete failed. The filesystem's
// magic tells a mount from a directory, at one statfs per name. cgroup2
// counts too: a hierarchy the library lists by name is driven through
// cgroup.procs, which cgroup2 has as well.
func cgroupMounts(subs []cgroup1.Subsystem, fsType func(string) (int64, error)) ([]cgroup1.Subsystem, error) {
	var out []cgroup1.Subsystem
	for _, s := range subs {
		p, ok := s.(interface{ Path(string) string })
		if !ok {
			continue
		}
		t, err := fsType(p.Path("/"))
		if err != nil || (t != unix.CGROUP_SUPER_MAGIC && t != unix.CGROUP2_SUPER_MAGIC) {
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no cgroup v1 hierarchy mounted under %s: %w", v1Root, cgroup1.ErrMountPointNotExist)
	}
	return out, nil
}

// statfsType is the magic number of the filesystem at path.
func statfsType(path string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Type), nil
}

// v1Manager drives one cgroup across the v1 hierarchies. The containerd
// library creates the directories (copying cpuset.cpus/mems down from the
// parent, without which no task could join), moves pids and lists them; we
// write resource files and the freezer ourselves so errors name the file and
// value, and so nothing loops without a bound.
type v1Manager struct {
	path string
	cg   cgroup1.Cgroup
}

func newV1(path string) (Manager, error) {
	// Empty resources: the library would write them, but with errors that
	// don't say which value failed; Set does it instead.
	cg, err := cgroup1.New(cgroup1.StaticPath(path), &specs.LinuxResources{}, cgroup1.WithHiearchy(v1Hierarchy))
	if err != nil {
		// The library stops at the first failing hierarchy and leaves the
		// directories it made; nobody else holds a Manager to remove them.
		// Busy (populated) ones survive this, as removeTree never kills.
		_ = (&v1Manager{path: path}).Delete()
		return nil, fmt.Errorf("cgroups: create %s in the v1 hierarchies: %w", path, err)
	}
	return &v1Manager{path: path, cg: cg}, nil
}

func loadV1(path string) (Manager, error) {
	// The common case at a start, a cgroup that is not there yet, costs
	// the library a third of a millisecond; a stat per hierarchy tells.
	if !v1Exists(path) {
		return nil, fmt.Errorf("cgroups: load %s: %w", path, fs.ErrNotExist)
	}
	cg, err := cgroup1.Load(cgroup1.StaticPath(path), cgroup1.WithHiearchy(v1Hierarchy))
	if errors.Is(err, cgroup1.ErrCgroupDeleted) {
		return nil, fmt.Errorf("cgroups: load %s: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("cgroups: load %s from the v1 hierarchies: %w", path, err)
	}
	return &v1Manager{path: path, cg: cg}, nil
}

// v1Dirs is the directory of the cgroup path in each mounted v1 hierarchy.
func v1Dirs(path string) ([]string, error) {
	subs, err := v1Hierarchy()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, s := range subs {
		if p, ok := s.(interface{ Path(string) string }); ok {
			dirs = append(dirs, p.Path(path))
		}
	}
	return dirs, nil
}

// v1Exists tells whether path is a directory in any v1 hierarchy (or the
// hierarchies can't be listed, for Load to report).
func v1Exists(path string) bool {
	dirs, err := v1Dirs(path)
	if err != nil {
		return true
	}
	for _, d := range dirs {
		// Only "no such directory" is absence: any other failure is for
		// the full load to report.
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}

func (m *v1Manager) Path() string { return m.path }

func (m *v1Manager) dir(controller string) string {
	return filepath.Join(v1Root, controller, m.path)
}

func (m *v1Manager) Apply(pid int) error {
	if err := m.cg.AddProc(uint64(pid)); err != nil {
		return fmt.Errorf("cgroups: apply pid %d to %s: %w", pid, m.path, err)
	}
	return nil
}

func (m *v1Manager) Set(res *specs.LinuxResources) error {
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
	if err := CheckUnified(res); err != nil {
		return err
	}
	devices, err := parseDeviceRules(res.Devices)
	if err != nil {
		return err
	}
	warnIgnored(res)
	settings := append(v1DeviceSettings(devices), v1Settings(res)...)
	if cur, ok := m.currentMemsw(settings); ok {
		settings = orderMemoryV1(settings, cur)
	}
	settings = v1BlkioFiles(settings, m.dir("blkio"))
	return rtBudgetHint(writeSettings(settings, m.dir), m.dir("cpu"))
}

// currentMemsw reads memory.memsw.limit_in_bytes when Set is about to write
// it. Without swap accounting the file is missing, and writeSettings will
// report that.
func (m *v1Manager) currentMemsw(settings []setting) (int64, bool) {
	if !slices.ContainsFunc(settings, func(s setting) bool { return s.file == "memory.memsw.limit_in_bytes" }) {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(m.dir("memory"), "memory.memsw.limit_in_bytes"))
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}

func (m *v1Manager) Freeze() error {
	err := freezer{dir: m.dir("freezer"), file: "freezer.state", value: "FROZEN", done: v1StateIs("FROZEN")}.run()
	if err != nil {
		// Don't leave the container half frozen (FREEZING) behind a failed pause.
		_ = m.Thaw()
	}
	return err
}

func (m *v1Manager) Thaw() error {
	return freezer{dir: m.dir("freezer"), file: "freezer.state", value: "THAWED", done: v1StateIs("THAWED")}.run()
}

func (m *v1Manager) Pids() ([]int, error) {
	// Every hierarchy holds the same processes; pids is the natural one,
	// freezer the fallback on kernels without it.
	name := cgroup1.Pids
	if !slices.ContainsFunc(m.cg.Subsystems(), func(s cgroup1.Subsystem) bool { return s.Name() == cgroup1.Pids }) {
		name = cgroup1.Freezer
	}
	var pids []int
	if err := procsBelow(m.dir(string(name)), &pids); err != nil {
		return nil, fmt.Errorf("cgroups: list processes of %s in %s: %w", m.path, name, err)
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}

// allPids lists the processes in the cgroup in every hierarchy where it
// exists. Delete's kill needs it for a cgroup a killed start made in only
// some hierarchies, perhaps in neither pids nor freezer; Pids refuses such
// a cgroup, which is right for a start checking that it is free.
func (m *v1Manager) allPids() ([]int, error) {
	var pids []int
	for _, s := range m.cg.Subsystems() {
		p, ok := s.(interface{ Path(string) string })
		if !ok {
			continue
		}
		err := procsBelow(p.Path(m.path), &pids)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cgroups: list processes of %s in %s: %w", m.path, s.Name(), err)
		}
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}

// procsBelow appends the pids in dir's cgroup.procs and in those of the
// cgroups below it. It reads directories by their entries' types: the
// containerd library's walk stats every file of every cgroup (dozens per
// directory, in each of ten hierarchies), the larger part of a delete.
func procsBelow(dir string, pids *[]int) error {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return err
	}
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			*pids = append(*pids, pid)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		// A child removed meanwhile has no processes left to list.
		if err := procsBelow(filepath.Join(dir, e.Name()), pids); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Delete removes the directory in every mounted v1 hierarchy, not just
// those this Manager saw when it was opened, so a cgroup left half-created
// by a failed New is still cleaned up.
func (m *v1Manager) Delete() error {
	dirs, err := v1Dirs(m.path)
	if err != nil {
		return fmt.Errorf("cgroups: delete %s: list v1 hierarchies: %w", m.path, err)
	}
	var errs []error
	for _, d := range dirs {
		if err := removeTree(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CheckUnified refuses linux.resources.unified where minirun places the
// container in v1 hierarchies (v1 and hybrid hosts), in runc's words, which
// engines and runc's tests match. The config check calls it too, so the
// refusal comes before anything is made.
func CheckUnified(res *specs.LinuxResources) error {
	if res == nil || len(res.Unified) == 0 || cgroups.Mode() == cgroups.Unified {
		return nil
	}
	return fmt.Errorf("cgroups: linux.resources.unified: invalid configuration: cannot use unified on cgroup v1: %w", ErrInvalid)
}

// rtBudgetHint explains the kernel's EINVAL for cpu.rt_runtime_us: a
// cgroup's real-time budget comes out of its parent's, and a new cgroup's
// is 0, so below /minirun (or Docker's /docker) there is none to give
// unless the parent was given some first.
func rtBudgetHint(err error, cpuDir string) error {
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "cpu.rt_runtime_us=") {
		return err
	}
	parent := filepath.Dir(cpuDir)
	b, rerr := os.ReadFile(filepath.Join(parent, "cpu.rt_runtime_us"))
	if rerr != nil {
		return err
	}
	return fmt.Errorf("%w (the parent cgroup %s has cpu.rt_runtime_us=%s, and a real-time budget comes out of the parent's)", err, parent, strings.TrimSpace(string(b)))
}
