package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountProbeSrc is a static program run inside a rootless container: it
// reports whether CAP_SYS_ADMIN is effective, proves mount(2) works for
// what a user namespace may mount (a tmpfs), then tries to mount the host
// root's filesystem from its block device, with mount(2) and with the new
// mount API (fsopen, fsconfig, FSCONFIG_CMD_CREATE), and reports each
// errno; last, what the target directory holds and how many mounts of the
// host root filesystem's own root ("/" of device MAJ:MIN) it can see, and
// how many of any of its subtrees (the container's rootfs is one, so the
// count is never 0: a probe that can't read mountinfo fails).
const mountProbeSrc = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

func errno(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := err.(syscall.Errno); ok {
		switch e {
		case syscall.EPERM:
			return "EPERM"
		case syscall.EACCES:
			return "EACCES"
		case syscall.ENODEV:
			return "ENODEV"
		}
		return "errno" + strconv.Itoa(int(e))
	}
	return err.Error()
}

func cstr(s string) uintptr { b, _ := syscall.BytePtrFromString(s); return uintptr(unsafe.Pointer(b)) }

func main() {
	dev, target, majmin := os.Args[1], os.Args[2], os.Args[3]
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			c, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			fmt.Printf("cap_sys_admin=%v\n", c&(1<<21) != 0)
		}
	}
	err := syscall.Mount("t", target, "tmpfs", 0, "")
	fmt.Println("mount tmpfs:", errno(err))
	if err == nil {
		syscall.Unmount(target, 0)
	}
	if _, err := os.Stat(dev); err != nil {
		fmt.Println("device:", err)
	}
	fmt.Println("mount device:", errno(syscall.Mount(dev, target, "ext4", syscall.MS_RDONLY, "")))
	fd, _, e := syscall.Syscall(430, cstr("ext4"), 0, 0) // fsopen
	if e != 0 {
		fmt.Println("fsopen:", errno(e))
	} else {
		_, _, e = syscall.Syscall6(431, fd, 1, cstr("source"), cstr(dev), 0, 0) // fsconfig FSCONFIG_SET_STRING
		fmt.Println("fsconfig source:", errno(errOf(e)))
		_, _, e = syscall.Syscall6(431, fd, 6, 0, 0, 0, 0) // FSCONFIG_CMD_CREATE
		fmt.Println("fsconfig create:", errno(errOf(e)))
	}
	ents, _ := os.ReadDir(target)
	fmt.Println("entries in target:", len(ents))
	f, _ := os.Open("/proc/self/mountinfo")
	n, sub := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && fs[2] == majmin {
			sub++
			if fs[3] == "/" {
				n++
			}
		}
	}
	fmt.Println("mounts of the host root:", n)
	fmt.Println("mounts from its filesystem:", sub)
}

func errOf(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}
`

// buildMountProbe builds mountProbeSrc into dst.
func buildMountProbe(t *testing.T, dst string) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(mountProbeSrc), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module mountprobe\n\ngo 1.21\n"), 0o644)
	build := exec.Command("go", "build", "-o", dst, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build mount probe: %v: %s", err, out)
	}
	os.Chmod(dst, 0o755)
}

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
