package cgroups

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/internal/procattr"
	"github.com/minirun/minirun/internal/trace"
)

// pageSizeRE is the size part of hugetlb.<size>.limit_in_bytes (v1) and
// hugetlb.<size>.max (v2): 64KB, 2MB, 1GB.
var pageSizeRE = regexp.MustCompile(`^[1-9][0-9]*[KMG]B$`)

// validate rejects resources that the kernel would either refuse halfway
// through Set (leaving some values written) or accept with a surprising
// meaning. It runs before anything is written.
func validate(res *specs.LinuxResources, topo topology) error {
	if res == nil {
		return nil
	}
	if err := CheckDevices(res.Devices); err != nil {
		return err
	}
	if m := res.Memory; m != nil && set(m.Swap) && *m.Swap > 0 {
		// memory.swap is memory+swap; below the limit it means nothing.
		if set(m.Limit) && *m.Limit > 0 && *m.Swap < *m.Limit {
			return fmt.Errorf("cgroups: memory.swap=%d is below memory.limit=%d (swap counts memory+swap): %w", *m.Swap, *m.Limit, ErrInvalid)
		}
	}
	if m := res.Memory; m != nil && swappinessSet(m.Swappiness) && *m.Swappiness > 100 {
		return fmt.Errorf("cgroups: memory.swappiness=%d: the range is 0 to 100: %w", *m.Swappiness, ErrInvalid)
	}
	for _, h := range res.HugepageLimits {
		if !pageSizeRE.MatchString(h.Pagesize) {
			return fmt.Errorf("cgroups: hugepageLimits pageSize %q: want a size such as 2MB or 1GB, as the kernel names hugetlb files: %w", h.Pagesize, ErrInvalid)
		}
	}
	for k := range res.Unified {
		// A file of the container's own cgroup, never a path out of it.
		if ctrl, param, ok := strings.Cut(k, "."); !ok || ctrl == "" || param == "" || strings.ContainsAny(k, "/\x00") {
			return fmt.Errorf("cgroups: linux.resources.unified key %q: want a file name of the form CONTROLLER.PARAMETER: %w", k, ErrInvalid)
		}
	}
	if c := res.CPU; c != nil {
		if err := checkList("cpuset.cpus", c.Cpus, topo.cpus, "cpu"); err != nil {
			return err
		}
		if err := checkList("cpuset.mems", c.Mems, topo.mems, "memory node"); err != nil {
			return err
		}
	}
	return nil
}

func checkList(file, value string, have map[int]bool, what string) error {
	if value == "" {
		return nil
	}
	want, err := procattr.ParseList(value)
	if err != nil {
		return fmt.Errorf("cgroups: %s=%s: %v: %w", file, value, err, ErrInvalid)
	}
	if len(want) == 0 {
		return fmt.Errorf("cgroups: %s=%q: empty list: %w", file, value, ErrInvalid)
	}
	var missing []int
	for n := range want {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Ints(missing)
		return fmt.Errorf("cgroups: %s=%s: no such %s %v on this host: %w", file, value, what, missing, ErrInvalid)
	}
	return nil
}

// warnIgnored says what linux.resources asks that minirun, as runc 1.1,
// leaves alone: kernel memory limits, which Linux 5.4 deprecated and 6.x
// no longer enforces (runc's own warning, word for word).
func warnIgnored(res *specs.LinuxResources) {
	if m := res.Memory; m != nil && (set(m.Kernel) || set(m.KernelTCP)) {
		trace.Warnf("Kernel memory settings are ignored and will be removed")
	}
}
