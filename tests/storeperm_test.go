package tests

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The image store is its owner's alone (Docker's CVE-2021-41091). A
// container's root makes a setuid copy of a program, a device node and a
// file in its root; an unprivileged host user (nobody) must reach none of
// them, by the upper layer's path or by the merged root's (both are in
// every user's /proc/self/mountinfo), while the container runs, after it
// exits (run without --rm), and in a store an earlier minirun left open,
// once minirun opens it. Inside, the setuid program and the device still
// work: the overlay the container runs on carries no nosuid or nodev.

const nobodyID = 65534

// storeShare is a directory every user may traverse, as /var/lib is, so
// that only the store's own modes stand between nobody and it.
func storeShare(t *testing.T) string { return openTempDir(t, "minirun-storeperm-") }

// permRootfs is the suite's rootfs with the euid probe as bin/euid, an
// ordinary program: the container makes the setuid copy itself.
func permRootfs(t *testing.T, share string) string {
	t.Helper()
	rfs := filepath.Join(share, "rootfs")
	if out, err := exec.Command("cp", "-a", rootfs, rfs).CombinedOutput(); err != nil {
		t.Fatalf("cp rootfs: %v: %s", err, out)
	}
	probe := filepath.Join(rfs, "bin", "euid")
	buildEuidProbe(t, probe)
	os.Chmod(probe, 0o755)
	return rfs
}

// permScript is what the container's root does: a setuid copy of the
// probe, a world-writable device node (1:3, /dev/null's, so that a write
// through it harms nothing) and a file.
const (
	permScript   = "cp /bin/euid /suid && chmod 4755 /suid && mknod /dev0 c 1 3 && chmod 666 /dev0 && echo secret > /file && chmod 644 /file"
	permScriptRL = "cp /bin/euid /suid && chmod 4755 /suid && echo secret > /file && chmod 644 /file"
)

// asNobody runs argv as uid and gid 65534 without groups.
func asNobody(argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyID, Gid: nobodyID, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// nobodyRefused checks that nobody gets nothing of what the container
// made in dir (its upper layer or its merged root): running suid, writing
// dev0, reading file, listing dir. Each must fail with EACCES.
func nobodyRefused(t *testing.T, what, dir string, device bool) {
	t.Helper()
	probes := []struct {
		name string
		argv []string
	}{
		{"list", []string{"ls", dir}},
		{"read", []string{"cat", filepath.Join(dir, "file")}},
		{"run setuid", []string{filepath.Join(dir, "suid")}},
	}
	if device {
		probes = append(probes, struct {
			name string
			argv []string
		}{"write device", []string{"sh", "-c", `echo x > "$1" && echo wrote`, "sh", filepath.Join(dir, "dev0")}})
	}
	for _, p := range probes {
		out, err := asNobody(p.argv...)
		denied := err != nil && (errors.Is(err, fs.ErrPermission) || strings.Contains(out, "Permission denied"))
		if !denied {
			t.Errorf("%s: nobody could %s: %v: exit %v, output %q", what, p.name, p.argv, err, out)
		}
	}
}

// nobodyReads says whether nobody can read p.
func nobodyReads(p string) bool {
	_, err := asNobody("cat", p)
	return err == nil
}

func checkMode(t *testing.T, p string, want os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Errorf("%s: %v", p, err)
	} else if fi.Mode().Perm() != want {
		t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
	}
}

// waitPath waits for p to exist (the container's sign that it is done).
func waitPath(t *testing.T, p string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Lstat(p); err == nil {
			return
		}
	}
	t.Fatalf("%s never appeared", p)
}

// newContainerDir is the one directory in containers/ not in before.
func newContainerDir(t *testing.T, store string, before map[string]bool) string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(store, "containers"))
	for _, e := range ents {
		if !before[e.Name()] {
			return e.Name()
		}
	}
	t.Fatalf("no new container directory in %s", store)
	return ""
}

func containerSet(store string) map[string]bool {
	out := map[string]bool{}
	ents, _ := os.ReadDir(filepath.Join(store, "containers"))
	for _, e := range ents {
		out[e.Name()] = true
	}
	return out
}

// loosen gives the store the modes an earlier minirun made: root,
// containers/ and each container's directory 0711.
func loosen(t *testing.T, store string) {
	t.Helper()
	dirs := []string{store, filepath.Join(store, "containers")}
	ents, _ := os.ReadDir(filepath.Join(store, "containers"))
	for _, e := range ents {
		dirs = append(dirs, filepath.Join(store, "containers", e.Name()))
	}
	for _, d := range dirs {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStorePrivateToOwner(t *testing.T) {
	needRoot(t)
	share := storeShare(t)
	rfs := permRootfs(t, share)
	store := filepath.Join(share, "store")
	mr := func(args ...string) result {
		return runMinirun(t, "", append([]string{"--store", store}, args...)...)
	}
	if r := mr("import", "permimg", rfs); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}

	// A running container.
	r := mr("run", "-d", "--name", "perm-running", "permimg", "sh", "-c", permScript+" && touch /ready && exec sleep 100")
	running := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(running) != 64 {
		t.Fatalf("run -d: %+v", r)
	}
	t.Cleanup(func() { mr("rm", "-f", "perm-running") })
	dir := filepath.Join(store, "containers", running)
	waitPath(t, filepath.Join(dir, "upper", "ready"))
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "upper", "suid"), &st); err != nil || st.Mode&unix.S_ISUID == 0 || st.Uid != 0 {
		t.Fatalf("the container's setuid copy: mode %o owner %d (%v)", st.Mode, st.Uid, err)
	}
	if err := unix.Lstat(filepath.Join(dir, "upper", "dev0"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		t.Fatalf("the container's device node: mode %o (%v)", st.Mode, err)
	}
	t.Logf("container %s made %s/{suid,dev0,file}", running[:12], dir)

	// Inside, setuid and the device work as before.
	r = runMinirun(t, "", "exec", "--user", "1000:1000", running, "/suid")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "1000 0" {
		t.Errorf("the setuid copy run inside as uid 1000: %+v, want \"1000 0\"", r)
	}
	r = runMinirun(t, "", "exec", "--user", "1000:1000", running, "sh", "-c", "echo x > /dev0 && echo wrote")
	if r.code != 0 || r.stdout != "wrote\n" {
		t.Errorf("the device node written inside: %+v", r)
	}
	// On the host: the upper layer's path is inert, the overlay is not
	// (it is the container's own root).
	var sfs unix.Statfs_t
	if err := unix.Statfs(filepath.Join(dir, "upper"), &sfs); err != nil || sfs.Flags&(unix.ST_NOSUID|unix.ST_NODEV) != unix.ST_NOSUID|unix.ST_NODEV {
		t.Errorf("upper on the host: mount flags %#x (%v), want nosuid and nodev", sfs.Flags, err)
	}
	if err := unix.Statfs(filepath.Join(dir, "rootfs"), &sfs); err != nil || sfs.Flags&unix.ST_NOSUID != 0 {
		t.Errorf("the overlay: mount flags %#x (%v), want no nosuid", sfs.Flags, err)
	}

	for _, p := range []string{store, filepath.Join(store, "containers"), dir} {
		checkMode(t, p, 0o700)
	}
	nobodyRefused(t, "running, by upper", filepath.Join(dir, "upper"), true)
	nobodyRefused(t, "running, by the merged root", filepath.Join(dir, "rootfs"), true)

	// A container that has exited, run without --rm.
	before := containerSet(store)
	if r := mr("run", "--name", "perm-exited", "permimg", "sh", "-c", permScript); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	t.Cleanup(func() { mr("rm", "-f", "perm-exited") })
	exited := filepath.Join(store, "containers", newContainerDir(t, store, before))
	nobodyRefused(t, "exited, by upper", filepath.Join(exited, "upper"), true)
	nobodyRefused(t, "exited, by the merged root", filepath.Join(exited, "rootfs"), true)

	// A store an earlier minirun left open is closed when opened.
	loosen(t, store)
	if !nobodyReads(filepath.Join(dir, "rootfs", "file")) {
		t.Fatal("with the old modes, nobody still can't read the container's file: the probe proves nothing")
	}
	if r := mr("images"); r.code != 0 {
		t.Fatalf("images: %+v", r)
	}
	for _, p := range []string{store, filepath.Join(store, "containers"), dir, exited} {
		checkMode(t, p, 0o700)
	}
	nobodyRefused(t, "old store, opened, by upper", filepath.Join(dir, "upper"), true)
	nobodyRefused(t, "old store, opened, by the merged root", filepath.Join(dir, "rootfs"), true)

	for _, name := range []string{"perm-running", "perm-exited"} {
		if r := mr("rm", "-f", name); r.code != 0 {
			t.Errorf("rm -f %s: %+v", name, r)
		}
	}
	if n := mountsUnder(t, store); n != 0 {
		t.Errorf("%d mounts left under the store", n)
	}
}

// The same for a rootless store, its layers shifted into the caller's
// subordinate ranges: the container's root is the caller, so its setuid
// copy would run as the caller. Its overlay lives in the container's own
// mount namespace, so only the upper path is on the host. A rootless
// container can make no device node.
func TestStorePrivateToOwnerRootless(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"useradd", "userdel", "usermod", "newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("a rootless store needs %s (newuidmap/newgidmap: apt-get install uidmap): %v", tool, err)
		}
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		var major, minor int
		if fmt.Sscanf(string(out), "%d.%d", &major, &minor); major < 5 || (major == 5 && minor < 11) {
			t.Skipf("rootless containers from images need Linux 5.11, this is %s", out)
		}
	}
	// A name removeStaleUsers knows, should this test be killed.
	share := rootlessShare(t)
	name := fmt.Sprintf("mrrlsp%d", os.Getpid())
	removeStaleUsers(t, name)
	subStart := freeSubRange(t)
	restore := snapshotFiles(t, "/etc/subuid", "/etc/subgid")
	t.Cleanup(func() { restore(name) })
	home, runtimeDir := filepath.Join(share, "home"), filepath.Join(share, "run")
	uid, gid := addTestUser(t, name, home, runtimeDir)
	rng := fmt.Sprintf("%d-%d", subStart, subStart+rlSubSize-1)
	if out, err := exec.Command("usermod", "--add-subuids", rng, "--add-subgids", rng, name).CombinedOutput(); err != nil {
		t.Fatalf("usermod: %v: %s", err, out)
	}
	rfs := permRootfs(t, share)
	// The user's own directory, open to all as a home often is.
	mine := filepath.Join(share, "mine")
	os.Mkdir(mine, 0o755)
	os.Chown(mine, uid, gid)
	store := filepath.Join(mine, "store")
	mr := func(args ...string) result {
		t.Helper()
		cmd := exec.Command(minirun, append([]string{"--store", store}, args...)...)
		cmd.Dir = home
		cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=" + home, "USER=" + name, "LOGNAME=" + name, "XDG_RUNTIME_DIR=" + runtimeDir}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if err != nil {
			code = -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
		}
		return result{stdout.String(), stderr.String(), code}
	}
	if r := mr("import", "permimg", rfs); r.code != 0 {
		t.Fatalf("import as %s: %+v", name, r)
	}

	r := mr("run", "-d", "--name", "perm-running", "permimg", "sh", "-c", permScriptRL+" && touch /ready && exec sleep 100")
	running := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(running) != 64 {
		t.Fatalf("run -d as %s: %+v", name, r)
	}
	t.Cleanup(func() { mr("rm", "-f", "perm-running") })
	dir := filepath.Join(store, "containers", running)
	waitPath(t, filepath.Join(dir, "upper", "ready"))
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "upper", "suid"), &st); err != nil || st.Mode&unix.S_ISUID == 0 || int(st.Uid) != uid {
		t.Fatalf("the container's setuid copy: mode %o owner %d (%v), want setuid and the caller's (%d)", st.Mode, st.Uid, err, uid)
	}
	t.Logf("rootless container %s (as %s, uid %d) made %s/{suid,file}", running[:12], name, uid, dir)
	for _, p := range []string{store, filepath.Join(store, "containers"), dir} {
		checkMode(t, p, 0o700)
	}
	nobodyRefused(t, "rootless, running, by upper", filepath.Join(dir, "upper"), false)

	before := containerSet(store)
	if r := mr("run", "--name", "perm-exited", "permimg", "sh", "-c", permScriptRL); r.code != 0 {
		t.Fatalf("run as %s: %+v", name, r)
	}
	t.Cleanup(func() { mr("rm", "-f", "perm-exited") })
	exited := filepath.Join(store, "containers", newContainerDir(t, store, before))
	nobodyRefused(t, "rootless, exited, by upper", filepath.Join(exited, "upper"), false)

	loosen(t, store)
	if !nobodyReads(filepath.Join(exited, "upper", "file")) {
		t.Fatal("with the old modes, nobody still can't read the container's file: the probe proves nothing")
	}
	if r := mr("images"); r.code != 0 {
		t.Fatalf("images as %s: %+v", name, r)
	}
	for _, p := range []string{store, filepath.Join(store, "containers"), dir, exited} {
		checkMode(t, p, 0o700)
	}
	nobodyRefused(t, "rootless, old store, opened, by upper", filepath.Join(dir, "upper"), false)

	for _, n := range []string{"perm-running", "perm-exited"} {
		if r := mr("rm", "-f", n); r.code != 0 {
			t.Errorf("rm -f %s as %s: %+v", n, name, r)
		}
	}
	if r := mr("rmi", "permimg"); r.code != 0 {
		t.Errorf("rmi as %s: %+v", name, r)
	}
	checkStoreEmpty(t, store)
}
