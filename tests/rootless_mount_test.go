package tests

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// hostRoot is the device number of the filesystem the host's / is on
// ("MAJ:MIN", as mountinfo writes it) and its node in /dev, found through
// /sys/dev/block when /dev/block has no links (as on this VM).
func hostRoot(t *testing.T) (majmin, node string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	majmin = fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	f, err := os.Open("/sys/dev/block/" + majmin + "/uevent")
	if err != nil {
		return majmin, ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "DEVNAME="); ok {
			node = "/dev/" + name
		}
	}
	if _, err := os.Stat(node); err != nil {
		return majmin, ""
	}
	return majmin, node
}

// rootlessHostRootMount: a rootless container with CAP_SYS_ADMIN
// effective and no seccomp filter, so nothing but the kernel's user
// namespace rules stands in the way, has the host root's block device
// bound in and tries to mount it. The tmpfs mount proves the capability
// works for what the namespace owns; the device mount must fail with
// EPERM by both APIs, and no mount of the host's root can be seen.
func rootlessHostRootMount(t *testing.T) {
	majmin, node := hostRoot(t)
	if node == "" {
		t.Skipf("the host root's device %s has no node in /dev to bind: nothing to attempt", majmin)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "bin", "mountprobe")); err != nil {
		t.Fatalf("mount probe: %v", err)
	}
	s := rootlessSpec(t, "/bin/mountprobe", "/dev/hostroot", "/home", majmin)
	s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN")
	s.Process.Capabilities.Effective = s.Process.Capabilities.Bounding
	s.Process.Capabilities.Permitted = s.Process.Capabilities.Bounding
	s.Linux.Seccomp = nil
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/home", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/dev/hostroot", Type: "bind", Source: node, Options: []string{"bind"}})
	r := runSpec(t, s, "")
	t.Logf("host root %s (%s): exit %d\n%s%s", node, majmin, r.code, r.stdout, r.stderr)
	want := []string{
		"cap_sys_admin=true", "mount tmpfs: ok",
		"mount device: EPERM", "fsconfig create: EPERM",
		"entries in target: 0", "mounts of the host root: 0",
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w+"\n") {
			t.Errorf("probe output lacks %q", w)
		}
	}
	if r.code != 0 || strings.Contains(r.stdout, "device: stat") || strings.Contains(r.stdout, "mounts from its filesystem: 0\n") {
		t.Errorf("probe: %+v", r)
	}
}
