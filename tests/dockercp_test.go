package tests

// cp and export of Docker-front containers: Docker's path rules both
// ways, for running and stopped containers, and no way out of the
// container through a symlink, even one swapped in while cp runs
// (CVE-2018-15664's race; CVE-2019-14271 and runc's cp escapes).

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cpStore runs `minirun --store STORE ARGS...` against dockerRun's store.
func cpStore(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runMinirun(t, stdin, append([]string{"--store", storeDir}, args...)...)
}

// cpOK is cpStore that fails the test unless the command succeeds.
func cpOK(t *testing.T, args ...string) string {
	t.Helper()
	r := cpStore(t, "", args...)
	if r.code != 0 {
		t.Fatalf("minirun %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// cpDetached starts a named detached container running script, removed
// when the test ends, and returns its id.
func cpDetached(t *testing.T, name string, extra []string, script string) string {
	t.Helper()
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	args := append([]string{"-d", "--name", name}, extra...)
	r := dockerRun(t, "", append(args, "alpine", "sh", "-c", script)...)
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 {
		t.Fatalf("run -d: %+v", r)
	}
	t.Cleanup(func() { cpStore(t, "", "rm", "-f", name) })
	return id
}

// cpStopped runs a named container in the foreground to its end.
func cpStopped(t *testing.T, name, script string) {
	t.Helper()
	cpStoppedWith(t, name, nil, script)
}

// cpStoppedWith is cpStopped with more run flags.
func cpStoppedWith(t *testing.T, name string, extra []string, script string) {
	t.Helper()
	dockerRun(t, "", "--rm", "alpine", "true")
	args := append([]string{"--name", name}, extra...)
	if r := dockerRun(t, "", append(args, "alpine", "sh", "-c", script)...); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	t.Cleanup(func() { cpStore(t, "", "rm", "-f", name) })
}

// waitInContainer waits until the container id has made path.
func waitInContainer(t *testing.T, id, path string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if r := runMinirun(t, "", "exec", id, "test", "-e", path); r.code == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("container %s never made %s", id, path)
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tarNames lists a tar stream's entry names.
func tarNames(t *testing.T, data []byte) map[string]*tar.Header {
	t.Helper()
	names := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		names[strings.TrimSuffix(h.Name, "/")] = h
	}
}

// Docker's path rules, out of and into a running container, with its
// volumes where the container sees them.
func TestDockerCpRunning(t *testing.T) {
	needRoot(t)
	vol := t.TempDir()
	id := cpDetached(t, "cprun", []string{"-v", vol + ":/vol"},
		"mkdir -p /data/sub && echo deep > /data/sub/f && echo top > /data/t && touch /ready && sleep 60")
	waitInContainer(t, id, "/ready")
	host := t.TempDir()

	// A file, to a new name and into a directory.
	cpOK(t, "cp", "cprun:/data/sub/f", filepath.Join(host, "f.copy"))
	mustContain(t, "file copied out", readFile(t, filepath.Join(host, "f.copy")), "deep")
	cpOK(t, "cp", "cprun:/data/t", host)
	mustContain(t, "file copied into a directory", readFile(t, filepath.Join(host, "t")), "top")
	// A directory: to a new name, into an existing directory, and its
	// contents only with "/.".
	cpOK(t, "cp", "cprun:/data", filepath.Join(host, "new"))
	mustContain(t, "dir to a new name", readFile(t, filepath.Join(host, "new", "sub", "f")), "deep")
	os.Mkdir(filepath.Join(host, "into"), 0o755)
	cpOK(t, "cp", "cprun:/data", filepath.Join(host, "into"))
	mustContain(t, "dir into a dir", readFile(t, filepath.Join(host, "into", "data", "sub", "f")), "deep")
	os.Mkdir(filepath.Join(host, "contents"), 0o755)
	cpOK(t, "cp", "cprun:/data/.", filepath.Join(host, "contents"))
	mustContain(t, "dir/. into a dir", readFile(t, filepath.Join(host, "contents", "sub", "f")), "deep")
	// A directory never replaces a file; a file's destination dir/ must exist.
	checkFailure(t, cpStore(t, "", "cp", "cprun:/data", filepath.Join(host, "t")), exitDocker, "cannot overwrite a file with a directory")
	checkFailure(t, cpStore(t, "", "cp", "cprun:/data/t", filepath.Join(host, "nodir")+"/"), exitDocker, "must exist")
	// "-": a tar stream.
	names := tarNames(t, []byte(cpOK(t, "cp", "cprun:/data", "-")))
	for _, want := range []string{"data", "data/sub", "data/sub/f", "data/t"} {
		if names[want] == nil {
			t.Errorf("cp cprun:/data -: no %s in %v", want, names)
		}
	}

	// Into the container: a file, a directory, a stream, into a volume.
	os.WriteFile(filepath.Join(host, "in.txt"), []byte("from host\n"), 0o644)
	os.Chown(filepath.Join(host, "in.txt"), 1234, 4321)
	cpOK(t, "cp", filepath.Join(host, "in.txt"), "cprun:/tmp/")
	if r := runMinirun(t, "", "exec", id, "cat", "/tmp/in.txt"); r.stdout != "from host\n" {
		t.Errorf("cp into the container: cat gives %+v", r)
	}
	if r := runMinirun(t, "", "exec", id, "stat", "-c", "%u:%g", "/tmp/in.txt"); strings.TrimSpace(r.stdout) != "0:0" {
		t.Errorf("cp without -a: owner %q, want the container's root", r.stdout)
	}
	cpOK(t, "cp", "-a", filepath.Join(host, "in.txt"), "cprun:/tmp/kept.txt")
	if r := runMinirun(t, "", "exec", id, "stat", "-c", "%u:%g", "/tmp/kept.txt"); strings.TrimSpace(r.stdout) != "1234:4321" {
		t.Errorf("cp -a: owner %q, want 1234:4321", r.stdout)
	}
	cpOK(t, "cp", filepath.Join(host, "new"), "cprun:/newdir")
	if r := runMinirun(t, "", "exec", id, "cat", "/newdir/sub/f"); r.stdout != "deep\n" {
		t.Errorf("cp of a directory in: %+v", r)
	}
	var stream bytes.Buffer
	tw := tar.NewWriter(&stream)
	tw.WriteHeader(&tar.Header{Name: "streamed", Mode: 0o640, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("ok\n"))
	tw.Close()
	if r := cpStore(t, stream.String(), "cp", "-", "cprun:/tmp"); r.code != 0 {
		t.Fatalf("cp - cprun:/tmp: %+v", r)
	}
	if r := runMinirun(t, "", "exec", id, "cat", "/tmp/streamed"); r.stdout != "ok\n" {
		t.Errorf("cp - into the container: %+v", r)
	}
	cpOK(t, "cp", filepath.Join(host, "in.txt"), "cprun:/vol/")
	mustContain(t, "cp into a volume lands in the volume", readFile(t, filepath.Join(vol, "in.txt")), "from host")

	// One line, 125: a missing path, a missing container, a missing parent.
	for _, args := range [][]string{
		{"cp", "cprun:/nope", host},
		{"cp", "nosuchcontainer:/etc/passwd", host},
		{"cp", filepath.Join(host, "in.txt"), "cprun:/no/such/dir/x"},
		{"cp", filepath.Join(host, "in.txt"), filepath.Join(host, "t")},
	} {
		r := cpStore(t, "", args...)
		if r.code != exitDocker || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("minirun %v: want one line and %d, got %d %q", args, exitDocker, r.code, r.stderr)
		}
	}
}

// A stopped container's files are reached through its layers.
func TestDockerCpStopped(t *testing.T) {
	needRoot(t)
	cpStopped(t, "cpstop", "echo bye > /stopped; ln -s /etc/passwd /plink")
	host := t.TempDir()
	cpOK(t, "cp", "cpstop:/stopped", filepath.Join(host, "s"))
	mustContain(t, "cp out of a stopped container", readFile(t, filepath.Join(host, "s")), "bye")
	// A symlink is copied as itself; -L copies what it points at, in the
	// container.
	cpOK(t, "cp", "cpstop:/plink", filepath.Join(host, "l"))
	if target, err := os.Readlink(filepath.Join(host, "l")); err != nil || target != "/etc/passwd" {
		t.Errorf("cp of a symlink: %q %v", target, err)
	}
	cpOK(t, "cp", "-L", "cpstop:/plink", filepath.Join(host, "lf"))
	if got, want := readFile(t, filepath.Join(host, "lf")), readFile(t, filepath.Join(rootfs, "etc", "passwd")); got != want {
		t.Errorf("cp -L: got %q, want the container's passwd", got)
	}
	os.WriteFile(filepath.Join(host, "in"), []byte("in\n"), 0o644)
	cpOK(t, "cp", filepath.Join(host, "in"), "cpstop:/in")
	cpOK(t, "cp", "cpstop:/in", filepath.Join(host, "back"))
	mustContain(t, "cp in and out of a stopped container", readFile(t, filepath.Join(host, "back")), "in")
}

// A symlink in the container resolves in the container: /cp-x -> / or
// -> /etc, or -> a host directory, never reads or writes the host's file.
func TestDockerCpSymlinkEscapes(t *testing.T) {
	needRoot(t)
	canaryDir := t.TempDir()
	canary := filepath.Join(canaryDir, "shadow")
	os.WriteFile(canary, []byte("HOST-SECRET\n"), 0o600)
	script := "ln -s / /cp-x; ln -s /etc /cp-e; ln -s " + canaryDir + " /cp-h; ln -s ../../../../../../.." + canaryDir + " /cp-rel; " +
		"mkdir /cp-dst; ln -s " + canaryDir + " /cp-dst/sub"
	check := func(name string) {
		t.Helper()
		host := t.TempDir()
		for i, src := range []string{"/cp-x" + canary, "/cp-e/shadow", "/cp-h/shadow", "/cp-rel/shadow", "/cp-x/etc/shadow"} {
			out := filepath.Join(host, strings.Repeat("o", i+1))
			r := cpStore(t, "", "cp", name+":"+src, out)
			if data, err := os.ReadFile(out); err == nil && strings.Contains(string(data), "HOST-SECRET") {
				t.Errorf("cp %s:%s read the host's canary", name, src)
			}
			if r.code == 0 {
				continue
			}
			checkFailure(t, r, exitDocker)
		}
		// Through the same symlinks, the container's own files: /x/etc
		// and /e are the container's /etc.
		want := readFile(t, filepath.Join(rootfs, "etc", "passwd"))
		for _, src := range []string{"/cp-x/etc/passwd", "/cp-e/passwd", "/cp-x/../../cp-e/passwd"} {
			out := filepath.Join(host, "passwd")
			os.Remove(out)
			cpOK(t, "cp", name+":"+src, out)
			if got := readFile(t, out); got != want {
				t.Errorf("cp %s:%s: got %q, want the container's passwd", name, src, got)
			}
		}
		hostShadow, _ := os.ReadFile("/etc/shadow")
		r := cpStore(t, "", "cp", name+":/cp-e/shadow", filepath.Join(host, "es"))
		if data, err := os.ReadFile(filepath.Join(host, "es")); r.code == 0 && err == nil && len(hostShadow) > 0 && bytes.Equal(data, hostShadow) {
			t.Errorf("cp %s:/cp-e/shadow read the host's /etc/shadow", name)
		}
		in := filepath.Join(host, "in")
		os.WriteFile(in, []byte("PWNED\n"), 0o644)
		for _, dst := range []string{"/cp-h/shadow", "/cp-x" + canary, "/cp-rel/shadow", "/cp-h/"} {
			cpStore(t, "", "cp", in, name+":"+dst)
		}
		// A tree whose directory is a symlink in the container.
		tree := filepath.Join(host, "tree")
		os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
		os.WriteFile(filepath.Join(tree, "sub", "shadow"), []byte("PWNED\n"), 0o644)
		os.WriteFile(filepath.Join(tree, "sub", "new"), []byte("PWNED\n"), 0o644)
		cpStore(t, "", "cp", tree+"/.", name+":/cp-dst")
		checkCanary(t, canaryDir)
	}
	cpStopped(t, "cpesc", script)
	check("cpesc")
	// A stopped container with a volume is reached through a mount
	// namespace of cp's own, its mount point resolved in the container.
	vol := t.TempDir()
	cpStoppedWith(t, "cpescvol", []string{"-v", vol + ":/cp-vol"}, script+"; ln -s / /cp-vol/up")
	check("cpescvol")
	in := filepath.Join(t.TempDir(), "shadow")
	os.WriteFile(in, []byte("PWNED\n"), 0o644)
	for _, dst := range []string{"/cp-vol/up" + canaryDir + "/shadow", "/cp-vol/up/cp-h/shadow", "/cp-vol/up/cp-h/"} {
		cpStore(t, "", "cp", in, "cpescvol:"+dst)
	}
	checkCanary(t, canaryDir)
	id := cpDetached(t, "cpescrun", nil, script+"; touch /ready; sleep 60")
	waitInContainer(t, id, "/ready")
	check("cpescrun")
}

// checkCanary fails the test unless dir holds only the untouched canary.
func checkCanary(t *testing.T, dir string) {
	t.Helper()
	if got := readFile(t, filepath.Join(dir, "shadow")); got != "HOST-SECRET\n" {
		t.Fatalf("the host's canary was written: %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("cp wrote into the host's canary directory: %s", listDir(dir))
	}
}

// The container swaps /cp-r between a directory and a symlink to a host
// directory as fast as it can while cp runs again and again, both ways.
func TestDockerCpSymlinkSwapRace(t *testing.T) {
	needRoot(t)
	canaryDir := t.TempDir()
	os.WriteFile(filepath.Join(canaryDir, "shadow"), []byte("HOST-SECRET\n"), 0o600)
	id := cpDetached(t, "cprace", nil,
		"touch /ready; while :; do rm -rf /cp-r; mkdir /cp-r; echo ctr > /cp-r/shadow; rm -rf /cp-r; ln -s "+canaryDir+" /cp-r; "+
			"rm -f /cp-r; ln -s / /cp-r; done")
	waitInContainer(t, id, "/ready")
	host := t.TempDir()
	// The copy itself works while the container races.
	cpOK(t, "cp", "cprace:/ready", filepath.Join(host, "ready"))
	in := filepath.Join(host, "in")
	os.WriteFile(in, []byte("PWNED\n"), 0o644)
	cpOK(t, "cp", in, "cprace:/in")
	copied := 0
	for i := 0; i < 150; i++ {
		out := filepath.Join(host, "out")
		os.Remove(out)
		src := "/cp-r/shadow"
		if i%2 == 1 {
			src = "/cp-r" + canaryDir + "/shadow"
		}
		if r := cpStore(t, "", "cp", "cprace:"+src, out); r.code == 0 {
			copied++
			if got := readFile(t, out); strings.Contains(got, "HOST-SECRET") {
				t.Fatalf("round %d: cp out through the racing symlink read the host's canary", i)
			}
		}
		cpStore(t, "", "cp", in, "cprace:"+src)
		checkCanary(t, canaryDir)
	}
	t.Logf("%d of 150 copies out found the container's file", copied)
}

// export writes the container's filesystem: its files and its changes,
// not a volume mounted in it, and a symlink to / as a symlink.
func TestDockerExport(t *testing.T) {
	needRoot(t)
	vol := t.TempDir()
	os.WriteFile(filepath.Join(vol, "hostonly"), []byte("host\n"), 0o644)
	id := cpDetached(t, "cpexp", []string{"-v", vol + ":/vol"}, "echo made > /exported; ln -s / /cp-x; touch /ready; sleep 60")
	waitInContainer(t, id, "/ready")
	out := filepath.Join(t.TempDir(), "fs.tar")
	cpOK(t, "export", "-o", out, "cpexp")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, data)
	for _, want := range []string{"bin/busybox", "etc/passwd", "exported", "cp-x", "vol"} {
		if names[want] == nil {
			t.Errorf("export: no %s", want)
		}
	}
	if h := names["cp-x"]; h != nil && (h.Typeflag != tar.TypeSymlink || h.Linkname != "/") {
		t.Errorf("export: /cp-x is %c -> %q, want the symlink to /", h.Typeflag, h.Linkname)
	}
	for n := range names {
		if strings.HasPrefix(n, "vol/") || strings.HasPrefix(n, "cp-x/") || strings.HasPrefix(n, "proc/") && n != "proc" {
			t.Errorf("export: %s is not the container's filesystem", n)
		}
	}
	// To stdout, the same archive.
	if stdout := cpOK(t, "export", "cpexp"); len(tarNames(t, []byte(stdout))) != len(names) {
		t.Errorf("export to stdout: %d entries, -o: %d", len(tarNames(t, []byte(stdout))), len(names))
	}
	checkFailure(t, cpStore(t, "", "export", "nosuchcontainer"), exitDocker, "no such container")
}

// A stopped container's volumes and binds are reached where the
// container has them, as Docker's cp does: cp out of and into a named
// volume and a bind, a read-only bind refused, and a symlink in a volume
// still resolving in the container.
func TestDockerCpStoppedVolumes(t *testing.T) {
	needRoot(t)
	bind, robind := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(robind, "ro"), []byte("read-only\n"), 0o644)
	vol := "cpstopvol"
	t.Cleanup(func() { cpStore(t, "", "volume", "rm", "-f", vol) })
	dockerRun(t, "", "--rm", "alpine", "true")
	r := dockerRun(t, "", "--name", "cpstopv", "-v", vol+":/data", "-v", bind+":/bind", "-v", robind+":/robind:ro",
		"alpine", "sh", "-c", "echo in-volume > /data/v; echo in-bind > /bind/b; ln -s / /data/esc")
	t.Cleanup(func() { cpStore(t, "", "rm", "-f", "cpstopv") })
	if r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	mountsBefore := mountsUnder(t, storeDir)
	host := t.TempDir()
	// Out of the volume, the bind and the read-only bind.
	cpOK(t, "cp", "cpstopv:/data/v", filepath.Join(host, "v"))
	mustContain(t, "cp out of a stopped container's volume", readFile(t, filepath.Join(host, "v")), "in-volume")
	cpOK(t, "cp", "cpstopv:/bind/b", filepath.Join(host, "b"))
	mustContain(t, "cp out of a stopped container's bind", readFile(t, filepath.Join(host, "b")), "in-bind")
	cpOK(t, "cp", "cpstopv:/robind/ro", filepath.Join(host, "ro"))
	mustContain(t, "cp out of a stopped container's read-only bind", readFile(t, filepath.Join(host, "ro")), "read-only")
	// Into them: the volume's content as the next container sees it, the
	// bind's on the host.
	in := filepath.Join(host, "in")
	os.WriteFile(in, []byte("copied-in\n"), 0o644)
	cpOK(t, "cp", in, "cpstopv:/data/in")
	cpOK(t, "cp", in, "cpstopv:/bind/in")
	mustContain(t, "cp into a stopped container's bind", readFile(t, filepath.Join(bind, "in")), "copied-in")
	if r := dockerRun(t, "", "--rm", "-v", vol+":/x", "alpine", "cat", "/x/in"); r.stdout != "copied-in\n" {
		t.Errorf("cp into a stopped container's volume: the volume has %+v", r)
	}
	checkFailure(t, cpStore(t, "", "cp", in, "cpstopv:/robind/in"), exitDocker, "read-only")
	if _, err := os.Stat(filepath.Join(robind, "in")); err == nil {
		t.Errorf("cp wrote into a read-only bind")
	}
	// A symlink to / in the volume is the container's /, not the host's.
	marker := "cp-stopped-volume-" + filepath.Base(host)
	cpOK(t, "cp", in, "cpstopv:/data/esc/tmp/"+marker)
	if _, err := os.Stat("/tmp/" + marker); err == nil {
		os.Remove("/tmp/" + marker)
		t.Fatalf("cp through a symlink in a volume wrote the host's /tmp")
	}
	cpOK(t, "cp", "cpstopv:/tmp/"+marker, filepath.Join(host, "back"))
	mustContain(t, "cp through a symlink in a volume", readFile(t, filepath.Join(host, "back")), "copied-in")
	// Nothing is left mounted: the volumes were mounted in cp's own
	// mount namespace only.
	if n := mountsUnder(t, storeDir); n != mountsBefore {
		t.Errorf("%d mounts under the store after cp, %d before", n, mountsBefore)
	}
}
