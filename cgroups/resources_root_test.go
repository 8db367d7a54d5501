package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hugetlb and linux.resources.unified through a v2Manager, on whichever
// cgroup2 mount this host has (a hybrid host's holds hugetlb alone).
func TestV2ManagerHugetlbAndUnified(t *testing.T) {
	mount := v2TestMount(t)
	if !slices.Contains(strings.Fields(readTrim(t, filepath.Join(mount, "cgroup.controllers"))), "hugetlb") {
		t.Skipf("no hugetlb controller in %s/cgroup.controllers", mount)
	}
	if _, err := os.Stat("/sys/kernel/mm/hugepages/hugepages-2048kB"); err != nil {
		t.Skip("this kernel has no 2MB huge pages")
	}
	// Enabling hugetlb below the root writes the root's subtree_control:
	// put it back as it was.
	rootCtl := filepath.Join(mount, "cgroup.subtree_control")
	before := readTrim(t, rootCtl)
	parent := fmt.Sprintf("/minirun-unit-%d", os.Getpid())
	path := parent + "/res"
	mgr, err := newV2(mount, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = removeTree(filepath.Join(mount, parent))
		if !slices.Contains(strings.Fields(before), "hugetlb") {
			_ = os.WriteFile(rootCtl, []byte("-hugetlb"), 0)
		}
	})
	dir := filepath.Join(mount, path)
	if err := mgr.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}}); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, filepath.Join(dir, "hugetlb.2MB.max")); got != "4194304" {
		t.Fatalf("hugetlb.2MB.max = %q", got)
	}
	if err := mgr.Set(&specs.LinuxResources{Unified: map[string]string{"hugetlb.2MB.max": "2097152"}}); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, filepath.Join(dir, "hugetlb.2MB.max")); got != "2097152" {
		t.Fatalf("unified hugetlb.2MB.max = %q", got)
	}
	// A key whose controller is not enabled here fails naming it, as runc's
	// "controller not available".
	if !slices.Contains(strings.Fields(readTrim(t, filepath.Join(dir, "cgroup.controllers"))), "pids") {
		err := mgr.Set(&specs.LinuxResources{Unified: map[string]string{"pids.max": "10"}})
		if err == nil || !strings.Contains(err.Error(), "pids.max=10") || !strings.Contains(err.Error(), "pids controller not available") {
			t.Fatalf("unified pids.max without pids: %v", err)
		}
	}
}
