package tests

// Volumes and mounts of the Docker-style front (issue 22): named volumes
// and their commands, -v NAME:/path with Docker's copy from the image,
// --mount, --tmpfs and --shm-size.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// vol runs `minirun --store STORE ARGS...` on dockerRun's store, which it
// makes first.
func vol(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	return runMinirun(t, stdin, append([]string{"--store", storeDir}, args...)...)
}

// mustVol is vol that fails the test unless the command succeeds.
func mustVol(t *testing.T, args ...string) string {
	t.Helper()
	r := vol(t, "", args...)
	if r.code != 0 {
		t.Fatalf("minirun %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// volName is a volume name of the test's own, so tests sharing the store
// never meet; the cleanup removes it.
func volName(t *testing.T, suffix string) string {
	name := fmt.Sprintf("t%d-%s", time.Now().UnixNano(), suffix)
	t.Cleanup(func() { vol(t, "", "volume", "rm", "-f", name) })
	return name
}

// volumeData is where the store keeps volume name's files.
func volumeData(name string) string {
	return filepath.Join(storeDir, "volumes", name, "_data")
}

// rmContainer removes a container the test left exited, by name.
func rmContainer(t *testing.T, name string) {
	t.Helper()
	if r := vol(t, "", "rm", "-f", name); r.code != 0 {
		t.Errorf("rm %s: %+v", name, r)
	}
}

func TestVolumeLifecycle(t *testing.T) {
	needRoot(t)
	a, b := volName(t, "a"), volName(t, "b")
	if out := mustVol(t, "volume", "create", "--label", "team=db", a); out != a+"\n" {
		t.Fatalf("create printed %q", out)
	}
	mustVol(t, "volume", "create", b)
	anon := strings.TrimSpace(mustVol(t, "volume", "create"))
	t.Cleanup(func() { vol(t, "", "volume", "rm", "-f", anon) })
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(anon) {
		t.Fatalf("a volume without a name got %q, want 64 hex digits", anon)
	}
	// Creating an existing one again is no error, as in Docker.
	if out := mustVol(t, "volume", "create", a); out != a+"\n" {
		t.Fatalf("create again printed %q", out)
	}

	ls := mustVol(t, "volume", "ls")
	mustMatch(t, "volume ls", ls, `^DRIVER\s+VOLUME NAME\n`)
	mustMatch(t, "volume ls", ls, `(?m)^local\s+`+a+`$`)
	quiet := mustVol(t, "volume", "ls", "-q", "--filter", "name="+a)
	if quiet != a+"\n" {
		t.Errorf("ls -q --filter name=: %q", quiet)
	}
	if got := mustVol(t, "volume", "ls", "-q", "--filter", "label=team=db"); !strings.Contains(got, a+"\n") || strings.Contains(got, b) {
		t.Errorf("ls --filter label=team=db: %q", got)
	}
	if got := mustVol(t, "volume", "ls", "-q", "--filter", "dangling=true"); !strings.Contains(got, b+"\n") {
		t.Errorf("ls --filter dangling=true misses the unused %s: %q", b, got)
	}

	var vols []map[string]any
	if err := json.Unmarshal([]byte(mustVol(t, "volume", "inspect", a, b)), &vols); err != nil || len(vols) != 2 {
		t.Fatalf("inspect: %v %v", vols, err)
	}
	v := vols[0]
	if v["Name"] != a || v["Driver"] != "local" || v["Scope"] != "local" || v["Mountpoint"] != volumeData(a) {
		t.Errorf("inspect: %v", v)
	}
	if labels, _ := v["Labels"].(map[string]any); labels["team"] != "db" {
		t.Errorf("inspect labels: %v", v["Labels"])
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(v["CreatedAt"])); err != nil {
		t.Errorf("inspect CreatedAt: %v", err)
	}
	if _, ok := v["Options"]; !ok {
		t.Errorf("inspect has no Options: %v", v)
	}
	if got := mustVol(t, "volume", "inspect", "--format", "{{.Name}} {{.Driver}}", a); got != a+" local\n" {
		t.Errorf("inspect --format: %q", got)
	}
	checkFailure(t, vol(t, "", "volume", "inspect", "no-such-volume"), exitDocker, "no such volume: no-such-volume")
	checkFailure(t, vol(t, "", "volume", "create", "bad!name"), exitDocker, `volume name "bad!name"`)
	checkFailure(t, vol(t, "", "volume", "rm", "no-such-volume"), exitDocker, "no such volume")
	if r := vol(t, "", "volume", "rm", "-f", "no-such-volume"); r.code != 0 {
		t.Errorf("rm -f of a missing volume: %+v", r)
	}

	if out := mustVol(t, "volume", "rm", b); out != b+"\n" {
		t.Errorf("rm printed %q", out)
	}
	if exists(filepath.Join(storeDir, "volumes", b)) {
		t.Errorf("rm left %s", b)
	}
	// prune without -f asks; no answer keeps everything.
	vol(t, "", "volume", "prune")
	if !exists(volumeData(a)) {
		t.Fatalf("prune removed %s without a yes", a)
	}
	out := mustVol(t, "volume", "prune", "-f")
	mustContain(t, "prune", out, "Deleted Volumes:")
	mustContain(t, "prune", out, a+"\n")
	mustContain(t, "prune", out, "Total reclaimed space:")
	for _, n := range []string{a, anon} {
		if exists(filepath.Join(storeDir, "volumes", n)) {
			t.Errorf("prune left %s", n)
		}
	}
}

// -v NAME:/path makes the volume on first use, keeps its files from one
// container to the next, and fills a new, empty one from the image.
func TestVolumePersistsAndCopiesUp(t *testing.T) {
	needRoot(t)
	data := volName(t, "data")
	if r := dockerRun(t, "", "--rm", "-v", data+":/x", "alpine", "sh", "-c", "echo kept > /x/f"); r.code != 0 {
		t.Fatalf("first run: %+v", r)
	}
	r := dockerRun(t, "", "--rm", "-v", data+":/x:ro", "alpine", "sh", "-c", "cat /x/f; touch /x/g 2>/dev/null && echo writable; true")
	if r.code != 0 || r.stdout != "kept\n" {
		t.Fatalf("second run: %+v", r)
	}

	etc := volName(t, "etc")
	name := fmt.Sprintf("copyup-%d", time.Now().UnixNano())
	r = dockerRun(t, "", "--name", name, "-v", etc+":/etc", "alpine", "cat", "/etc/os-release")
	defer rmContainer(t, name)
	if r.code != 0 || !strings.Contains(r.stdout, "busybox rootfs for minirun") {
		t.Fatalf("run with the image's /etc in a volume: %+v", r)
	}
	for _, f := range []string{"passwd", "group", "os-release"} {
		want, _ := os.ReadFile(filepath.Join(rootfs, "etc", f))
		if got, err := os.ReadFile(filepath.Join(volumeData(etc), f)); err != nil || string(got) != string(want) {
			t.Errorf("the volume's %s is not the image's: %q %v", f, got, err)
		}
	}
	// The copy keeps modes: the image's /tmp is 1777.
	tmpv := volName(t, "tmp")
	if r := dockerRun(t, "", "--rm", "-v", tmpv+":/tmp", "alpine", "stat", "-c", "%a %u", "/tmp"); r.code != 0 || r.stdout != "1777 0\n" {
		t.Errorf("/tmp from the image in a volume: %+v", r)
	}
	if fi, err := os.Stat(volumeData(tmpv)); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("the volume's mode: %v %v", fi, err)
	}
	// A volume that is not empty is the user's: the image does not
	// overwrite it.
	os.WriteFile(filepath.Join(volumeData(data), "os-release"), []byte("mine\n"), 0o644)
	if r := dockerRun(t, "", "--rm", "-v", data+":/etc", "alpine", "cat", "/etc/os-release"); r.stdout != "mine\n" {
		t.Errorf("a full volume was filled again: %+v", r)
	}

	// The record names each mount, as docker inspect's Mounts.
	ents, _ := os.ReadDir(filepath.Join(storeDir, "containers"))
	var rec struct {
		Name       string
		HostConfig struct{ Binds []string }
		Mounts     []struct {
			Type, Name, Source, Destination string
			RW                              bool
		}
	}
	found := false
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(storeDir, "containers", e.Name(), "container.json"))
		if err == nil && json.Unmarshal(b, &rec) == nil && rec.Name == name {
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("no record of %s", name)
	}
	if len(rec.Mounts) != 1 || rec.Mounts[0].Type != "volume" || rec.Mounts[0].Name != etc || rec.Mounts[0].Destination != "/etc" ||
		rec.Mounts[0].Source != volumeData(etc) || !rec.Mounts[0].RW || len(rec.HostConfig.Binds) != 1 || rec.HostConfig.Binds[0] != etc+":/etc" {
		t.Errorf("record: %+v", rec)
	}
}

// A volume a container uses, running or exited, can't be removed, by rm
// or by prune.
func TestVolumeInUseRefused(t *testing.T) {
	needRoot(t)
	v := volName(t, "used")
	name := fmt.Sprintf("user-%d", time.Now().UnixNano())
	if r := dockerRun(t, "", "--name", name, "-v", v+":/v", "alpine", "true"); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	checkFailure(t, vol(t, "", "volume", "rm", v), exitDocker, "volume is in use by container", name)
	out := mustVol(t, "volume", "prune", "-f")
	if strings.Contains(out, v) || !exists(volumeData(v)) {
		t.Errorf("prune removed a volume in use: %q", out)
	}
	if got := mustVol(t, "volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name="+v); got != v+"\n" {
		t.Errorf("ls dangling=false: %q", got)
	}
	// And while it runs.
	running := fmt.Sprintf("running-%d", time.Now().UnixNano())
	if r := dockerRun(t, "", "-d", "--name", running, "-v", v+":/v", "alpine", "sleep", "60"); r.code != 0 {
		t.Fatalf("run -d: %+v", r)
	}
	rmContainer(t, name)
	checkFailure(t, vol(t, "", "volume", "rm", v), exitDocker, "volume is in use by container", running)
	rmContainer(t, running)
	if out := mustVol(t, "volume", "rm", v); out != v+"\n" {
		t.Errorf("rm once unused: %q", out)
	}
}

// mountLine is the line of /proc/mounts for target in out, or "".
func mountLine(out, target string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[1] == target {
			return l
		}
	}
	return ""
}

// --mount of each type: a read-only bind, a volume, a sized tmpfs.
func TestMountTypes(t *testing.T) {
	needRoot(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("from host\n"), 0o644)
	v := volName(t, "m")
	r := dockerRun(t, "", "--rm",
		"--mount", "type=bind,source="+host+",target=/b,readonly",
		"--mount", "type=volume,src="+v+",dst=/v",
		"--mount", "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770",
		"alpine", "sh", "-c", "cat /b/f; touch /b/x 2>/dev/null && echo bind-writable; echo in-volume > /v/f; stat -c %a /t; cat /proc/mounts")
	if r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	mustContain(t, "output", r.stdout, "from host\n1770\n")
	if strings.Contains(r.stdout, "bind-writable") {
		t.Error("the readonly bind was writable")
	}
	if b := mountLine(r.stdout, "/b"); !strings.Contains(b, " ro,") && !strings.Contains(b, " ro ") {
		t.Errorf("/b: %q", b)
	}
	if l := mountLine(r.stdout, "/t"); !strings.HasPrefix(l, "tmpfs /t tmpfs rw,") || !strings.Contains(l, "size=1024k") || !strings.Contains(l, "noexec") {
		t.Errorf("/t: %q", l)
	}
	if got, err := os.ReadFile(filepath.Join(volumeData(v), "f")); err != nil || string(got) != "in-volume\n" {
		t.Errorf("the volume has %q %v", got, err)
	}
	if exists(filepath.Join(host, "x")) {
		t.Error("the container wrote through the readonly bind")
	}
}

// --read-only keeps the root read-only; --tmpfs /tmp is the way out, with
// Docker's noexec,nosuid,nodev unless told.
func TestTmpfsWithReadOnlyRoot(t *testing.T) {
	needRoot(t)
	r := dockerRun(t, "", "--rm", "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/run:exec,size=2m",
		"alpine", "sh", "-c", "echo ok > /tmp/f && cat /tmp/f; touch /f 2>/dev/null && echo root-writable; cat /proc/mounts")
	if r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	mustContain(t, "output", r.stdout, "ok\n")
	if strings.Contains(r.stdout, "root-writable") {
		t.Error("--read-only: / was writable")
	}
	l := mountLine(r.stdout, "/tmp")
	for _, o := range []string{"tmpfs /tmp tmpfs rw,", "nosuid", "nodev", "noexec"} {
		if !strings.Contains(l, o) {
			t.Errorf("/tmp: %q lacks %q", l, o)
		}
	}
	if l := mountLine(r.stdout, "/run"); strings.Contains(l, "noexec") || !strings.Contains(l, "size=2048k") {
		t.Errorf("/run: %q", l)
	}
}

// --shm-size sizes /dev/shm; Docker's 64m otherwise.
func TestShmSize(t *testing.T) {
	needRoot(t)
	r := dockerRun(t, "", "--rm", "--shm-size", "128m", "alpine", "cat", "/proc/mounts")
	if l := mountLine(r.stdout, "/dev/shm"); r.code != 0 || !strings.Contains(l, "size=131072k") {
		t.Errorf("--shm-size 128m: %q %+v", l, r)
	}
	r = dockerRun(t, "", "--rm", "alpine", "cat", "/proc/mounts")
	if l := mountLine(r.stdout, "/dev/shm"); !strings.Contains(l, "size=65536k") {
		t.Errorf("default /dev/shm: %q", l)
	}
}

// An image whose path at the volume's target is a symlink to a host
// directory (/etc, or one of the test's), or that holds such symlinks
// below it, does not bring the host's files into the volume, nor let the
// container write to the host through it.
func TestVolumeCopyUpSymlinks(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "secret"), []byte("host only\n"), 0o600)
	img := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", rootfs, img).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	os.Symlink("/etc", filepath.Join(img, "etclink")) // the image's /etc, in the container
	os.Symlink(host, filepath.Join(img, "hostlink"))  // no such path in the image
	os.MkdirAll(filepath.Join(img, "data"), 0o755)
	os.Symlink(host, filepath.Join(img, "data", "out"))
	os.Symlink("../../../../../../"+host, filepath.Join(img, "data", "up"))
	imgName := fmt.Sprintf("symlinks%d", time.Now().UnixNano())
	if r := vol(t, "", "import", imgName, img); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	defer vol(t, "", "rmi", imgName)
	hostEtc, _ := os.ReadFile("/etc/os-release")

	e, h, d := volName(t, "etc"), volName(t, "host"), volName(t, "data")
	r := dockerRun(t, "", "--rm", "-v", e+":/etclink", "-v", h+":/hostlink", "-v", d+":/data", imgName, "sh", "-c",
		"cat /etclink/os-release; echo planted > /hostlink/planted; echo x > /data/out/planted2 2>/dev/null; ls /data")
	if r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(volumeData(e), "os-release")); !strings.Contains(string(got), "busybox rootfs for minirun") ||
		string(got) == string(hostEtc) {
		t.Errorf("the volume at a symlink to /etc holds %q, not the image's /etc", got)
	}
	// In the container, the host path the image's links name is the
	// volume mounted there: both writes land in it.
	if ents, _ := os.ReadDir(volumeData(h)); len(ents) != 2 || ents[0].Name() != "planted" || ents[1].Name() != "planted2" {
		t.Errorf("the volume at a symlink to a host directory holds %v, want only what the container wrote", ents)
	}
	if exists(filepath.Join(volumeData(h), "secret")) || exists(filepath.Join(volumeData(d), "secret")) {
		t.Error("a host file was copied into a volume")
	}
	for _, l := range []string{"out", "up"} {
		if fi, err := os.Lstat(filepath.Join(volumeData(d), l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s was not kept a symlink: %v %v", l, fi, err)
		}
	}
	if ents, _ := os.ReadDir(host); len(ents) != 1 {
		t.Errorf("the container wrote to the host directory: %v", ents)
	}
}

// Bad mount lines: one line naming the cause, exit 125, and nothing made:
// no container, no volume, no bind source.
func TestMountBadInput(t *testing.T) {
	needRoot(t)
	store := badStore(t)
	host := t.TempDir()
	missing := filepath.Join(host, "missing")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mount", "type=bind,src=" + missing + ",dst=/x"}, "bind source path does not exist"},
		{[]string{"--mount", "type=nfs,dst=/x"}, `unknown type "nfs"`},
		{[]string{"--mount", "type=volume,src=good-name,dst=/x,colour=red"}, `unknown key "colour"`},
		{[]string{"--mount", "type=volume,src=good-name"}, "target is required"},
		{[]string{"--mount", "type=tmpfs,dst=/x,volume-nocopy"}, "volume-nocopy is for type=volume"},
		{[]string{"--mount", "type=bind,\"src=/a,dst=/x"}, "--mount"},
		{[]string{"--mount", "type=volume,src=a,dst=/x"}, `volume name "a"`},
		{[]string{"-v", "bad!name:/x"}, "neither an absolute host path nor a volume name"},
		{[]string{"-v", "good-name:/x", "-v", missing + ":/x"}, "duplicate mount point /x"},
		{[]string{"-v", "good-name:relative"}, "must be an absolute path"},
		{[]string{"--tmpfs", "/x:bogus", "-v", "good-name:/y"}, `unknown tmpfs option "bogus"`},
		{[]string{"--shm-size", "0", "-v", "good-name:/y"}, "--shm-size"},
	} {
		t.Run(c.want, func(t *testing.T) {
			tmp := t.TempDir()
			before := snapshotLeftovers(store, tmp)
			args := append(append([]string{"--store", store, "run", "--rm"}, c.args...), "alpine", "echo", "ran")
			cmd := exec.Command(minirun, args...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			checkFailure(t, result{out.String(), errb.String(), code}, exitDocker, c.want)
			for k := range snapshotLeftovers(store, tmp) {
				if !before[k] {
					t.Errorf("left behind: %s", k)
				}
			}
			if ents, _ := os.ReadDir(filepath.Join(store, "volumes")); len(ents) != 0 {
				t.Errorf("volumes made: %v", ents)
			}
			if exists(missing) {
				t.Errorf("the bind source %s was made", missing)
			}
		})
	}
	// The same lines, well formed, run.
	r := runMinirun(t, "", "--store", store, "run", "--rm", "--mount", "type=bind,src="+host+",dst=/x", "--tmpfs", "/y:size=1m", "alpine", "echo", "ran")
	if r.code != 0 || r.stdout != "ran\n" {
		t.Errorf("a good --mount and --tmpfs: %+v", r)
	}
	if ents, _ := os.ReadDir(filepath.Join(store, "containers")); len(ents) != 0 {
		t.Errorf("containers left: %v", ents)
	}
}
