package tests

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Issue 22's finish: run -d as cheap as before detached containers had
// monitors, one rule for Docker references, anonymous volumes.

// run -d through the lean minirun is its own container's monitor: the
// process that made the container stays on as the init's parent (one Go
// program started, not two), holding none of the caller's stdio, so a
// $(minirun run -d ...) ends as soon as the id is printed.
func TestDocker22RunDetachIsItsOwnMonitor(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	cmd := exec.Command(minirun, "--store", storeDir, "run", "-d", "--network", "none", "--name", "d22-self", "alpine", "sleep", "100")
	out, err := cmd.Output() // a pipe: Output returns once every holder closed it
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", "d22-self") })
	id := strings.TrimSpace(string(out))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want one 64-hex id", out)
	}
	st := lifeRecord(t, id).State
	if st.Status != "running" || st.Pid <= 0 {
		t.Fatalf("record after run -d: %+v, want running with a pid", st)
	}
	mon := monitorPid(t, st.Pid)
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", mon))
	if !strings.Contains(string(cmdline), "\x00run\x00-d\x00") || !strings.Contains(string(cmdline), "\x00d22-self\x00") {
		t.Fatalf("the monitor %d runs %q, not the run -d that made the container", mon, cmdline)
	}
	for fd := 0; fd <= 2; fd++ {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", mon, fd)); l != "/dev/null" {
			t.Errorf("the monitor's fd %d is %q, want /dev/null", fd, l)
		}
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", mon)); cwd != "/" {
		t.Errorf("the monitor's directory is %q, want /", cwd)
	}
	if code := lifeRecord(t, id).State.ExitCode; code != 0 {
		t.Fatalf("exit code %d while running", code)
	}
	if r := dockerCmd(t, "logs", "d22-self"); r.code != 0 {
		t.Fatalf("logs of the detached container: %+v", r)
	}
}

// A run -d that fails before its container runs ends with the status
// and the one-line error of the failure, and leaves no container.
func TestDocker22RunDetachFailures(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	before := dockerCmd(t, "ps", "-a", "-q", "--no-trunc").stdout
	r := dockerRun(t, "", "-d", "--network", "none", "alpine", "no-such-command")
	checkFailure(t, r, 127, "no-such-command")
	if r.stdout != "" {
		t.Errorf("a failed run -d printed %q", r.stdout)
	}
	r = dockerRun(t, "", "-d", "--network", "none", "--pull", "never", "no-such-image-d22")
	checkFailure(t, r, exitDocker, "no-such-image-d22")
	r = dockerRun(t, "", "-d", "--network", "none", "--stop-signal", "SIGNOPE", "alpine", "true")
	checkFailure(t, r, exitDocker, "stop-signal")
	if after := dockerCmd(t, "ps", "-a", "-q", "--no-trunc").stdout; after != before {
		t.Fatalf("failed runs left containers: ps -a -q was %q, is %q", before, after)
	}
}

// uniquePrefix is the shortest prefix of id no other container in the
// suite's store shares, and a prefix that two or more share ("" if none).
func uniquePrefix(t *testing.T, id string) (unique, shared string) {
	t.Helper()
	ids := strings.Fields(dockerCmd(t, "ps", "-a", "-q", "--no-trunc").stdout)
	for n := 1; n <= len(id); n++ {
		others := 0
		for _, o := range ids {
			if o != id && strings.HasPrefix(o, id[:n]) {
				others++
			}
		}
		if others == 0 {
			unique = id[:n]
			break
		}
	}
	counts := map[string]int{}
	for _, o := range ids {
		counts[o[:1]]++
	}
	for p, n := range counts {
		if n > 1 {
			shared = p
		}
	}
	return unique, shared
}

// Every command that names a container takes any unique prefix of a
// Docker-front container's id, as Docker does: start and kill (told
// apart from runc's by the reference) as exec and inspect.
func TestDocker22AnyUniquePrefix(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	for i := 0; i < 3; i++ { // enough ids for a shared first character to be likely
		r := dockerCmd(t, "create", "--network", "none", "--name", fmt.Sprintf("d22-prefix-%d", i), "alpine", "sleep", "100")
		if r.code != 0 {
			t.Fatalf("create: %+v", r)
		}
		name := fmt.Sprintf("d22-prefix-%d", i)
		t.Cleanup(func() { dockerCmd(t, "rm", "-f", name) })
	}
	id := strings.TrimSpace(dockerCmd(t, "inspect", "-f", "{{.Id}}", "d22-prefix-0").stdout)
	p, shared := uniquePrefix(t, id)
	if len(p) >= 4 {
		t.Skipf("the store's ids share %d characters with %s: no short prefix to try", len(p)-1, id)
	}
	if r := dockerCmd(t, "start", p); r.code != 0 {
		t.Fatalf("start %s (a unique prefix of %s): %+v", p, id, r)
	}
	if st := lifeRecord(t, id).State; st.Status != "running" {
		t.Fatalf("after start %s: %+v", p, st)
	}
	if r := dockerCmd(t, "exec", p, "true"); r.code != 0 {
		t.Fatalf("exec %s: %+v", p, r)
	}
	if r := dockerCmd(t, "kill", p); r.code != 0 {
		t.Fatalf("kill %s: %+v", p, r)
	}
	if code := waitCode(t, "d22-prefix-0"); code != 137 {
		t.Fatalf("kill %s: exit %d, want 137 (Docker's SIGKILL)", p, code)
	}
	if shared != "" {
		r := dockerCmd(t, "kill", shared)
		checkFailure(t, r, exitDocker, "ambiguous")
	}
}

// volumeNamesNow are the volumes `volume ls -q` lists.
func volumeNamesNow(t *testing.T) map[string]bool {
	t.Helper()
	r := dockerCmd(t, "volume", "ls", "-q")
	if r.code != 0 {
		t.Fatalf("volume ls: %+v", r)
	}
	out := map[string]bool{}
	for _, n := range strings.Fields(r.stdout) {
		out[n] = true
	}
	return out
}

// newVolume is the one volume in now that was not in before.
func newVolume(t *testing.T, before, now map[string]bool) string {
	t.Helper()
	var added []string
	for n := range now {
		if !before[n] {
			added = append(added, n)
		}
	}
	if len(added) != 1 || len(added[0]) != 64 {
		t.Fatalf("want one new 64-hex volume, got %q", added)
	}
	return added[0]
}

// mountsOf is inspect's Mounts of container name.
func mountsOf(t *testing.T, name string) []struct{ Type, Name, Destination string } {
	t.Helper()
	r := dockerCmd(t, "inspect", "-f", "{{json .Mounts}}", name)
	var ms []struct{ Type, Name, Destination string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &ms) != nil {
		t.Fatalf("inspect %s: %+v", name, r)
	}
	return ms
}

// -v /data and --mount type=volume without a source make an anonymous
// volume, as Docker's: a random 64-hex name, listed by volume ls, kept by
// rm and removed by rm -v and by run --rm.
func TestDocker22AnonymousVolumes(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	before := volumeNamesNow(t)
	r := dockerRun(t, "", "--network", "none", "--name", "d22-anon", "-v", "/data", "alpine", "sh", "-c", "echo kept > /data/f")
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", "-v", "d22-anon") })
	if r.code != 0 {
		t.Fatalf("run -v /data: %+v", r)
	}
	vol := newVolume(t, before, volumeNamesNow(t))
	if ms := mountsOf(t, "d22-anon"); len(ms) != 1 || ms[0].Type != "volume" || ms[0].Name != vol || ms[0].Destination != "/data" {
		t.Fatalf("inspect's Mounts: %+v, want volume %s on /data", ms, vol)
	}
	// start runs it again on the same volume.
	if r := dockerCmd(t, "start", "-a", "d22-anon"); r.code != 0 {
		t.Fatalf("start -a: %+v", r)
	}
	if r := dockerCmd(t, "rm", "-v", "d22-anon"); r.code != 0 {
		t.Fatalf("rm -v: %+v", r)
	}
	if now := volumeNamesNow(t); now[vol] {
		t.Fatalf("rm -v left the anonymous volume %s", vol)
	}

	// rm without -v keeps it, as Docker's.
	r = dockerRun(t, "", "--network", "none", "--name", "d22-anon2", "--mount", "type=volume,target=/data", "alpine", "true")
	if r.code != 0 {
		t.Fatalf("run --mount type=volume: %+v", r)
	}
	vol = newVolume(t, before, volumeNamesNow(t))
	dockerCmd(t, "rm", "d22-anon2")
	if !volumeNamesNow(t)[vol] {
		t.Fatalf("rm without -v removed the volume %s", vol)
	}
	if r := dockerCmd(t, "volume", "rm", vol); r.code != 0 {
		t.Fatalf("volume rm: %+v", r)
	}

	// run --rm takes it with the container; a named one stays.
	r = dockerRun(t, "", "--rm", "--network", "none", "-v", "/data", "-v", "d22-named:/named", "alpine", "sh", "-c", "echo x > /data/f")
	if r.code != 0 {
		t.Fatalf("run --rm -v /data: %+v", r)
	}
	t.Cleanup(func() { dockerCmd(t, "volume", "rm", "d22-named") })
	now := volumeNamesNow(t)
	if !now["d22-named"] {
		t.Fatalf("run --rm removed the named volume: %v", now)
	}
	delete(now, "d22-named")
	for n := range now {
		if !before[n] {
			t.Fatalf("run --rm left the anonymous volume %s", n)
		}
	}
}

// An image's VOLUME gets an anonymous volume filled with what the image
// has there, unless the run mounts something on it.
func TestDocker22ImageVolume(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true")
	img := imgRootfsImage(t, "1")
	dir := t.TempDir()
	top := filepath.Join(dir, "vol.tar")
	f, err := os.Create(top)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "srv/vol/", Mode: 0o755, Typeflag: tar.TypeDir})
	tw.WriteHeader(&tar.Header{Name: "srv/vol/hello", Mode: 0o644, Size: 6, Typeflag: tar.TypeReg})
	io.WriteString(tw, "hello\n")
	tw.Close()
	f.Close()
	l, err := tarball.LayerFromFile(top)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.AppendLayers(img, l); err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.Config.Volumes = map[string]struct{}{"/srv/vol": {}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("d22vol:1")
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "img.tar")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	if r := dockerCmd(t, "load", "-i", archive); r.code != 0 {
		t.Fatalf("load: %+v", r)
	}
	t.Cleanup(func() { dockerCmd(t, "rmi", "-f", "d22vol:1") })

	before := volumeNamesNow(t)
	r := dockerRun(t, "", "--network", "none", "--name", "d22-imgvol", "d22vol:1", "cat", "/srv/vol/hello")
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", "-v", "d22-imgvol") })
	if r.code != 0 || r.stdout != "hello\n" {
		t.Fatalf("run of an image with VOLUME /srv/vol: %+v", r)
	}
	vol := newVolume(t, before, volumeNamesNow(t))
	if ms := mountsOf(t, "d22-imgvol"); len(ms) != 1 || ms[0].Name != vol || ms[0].Destination != "/srv/vol" {
		t.Fatalf("inspect's Mounts: %+v, want volume %s on /srv/vol", ms, vol)
	}
	if r := dockerCmd(t, "rm", "-v", "d22-imgvol"); r.code != 0 {
		t.Fatalf("rm -v: %+v", r)
	}
	if volumeNamesNow(t)[vol] {
		t.Fatalf("rm -v left the image's volume %s", vol)
	}

	// A bind on the VOLUME's path takes its place: no volume is made.
	src := t.TempDir()
	r = dockerRun(t, "", "--rm", "--network", "none", "-v", src+":/srv/vol", "d22vol:1", "ls", "/srv/vol")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("run with a bind on the VOLUME: %+v", r)
	}
	if now := volumeNamesNow(t); len(now) != len(before) {
		t.Fatalf("a bind on the VOLUME still made a volume: %v, before %v", now, before)
	}
}

// A monitor's own fds (the caller's --log, the report pipe) stay its
// own: neither the reaper it starts nor the container holds them, or a
// --log file stays open for the container's whole life.
func TestDockerMonitorFdsStayItsOwn(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	logf := filepath.Join(t.TempDir(), "minirun.log")
	if r := dockerCmd(t, "--log", logf, "create", "--network", "none", "--name", "fdown", "alpine", "sleep", "100"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	t.Cleanup(func() { dockerCmd(t, "rm", "-f", "fdown") })
	if r := dockerCmd(t, "--log", logf, "start", "fdown"); r.code != 0 {
		t.Fatalf("start: %+v", r)
	}
	id := strings.TrimSpace(dockerCmd(t, "inspect", "-f", "{{.Id}}", "fdown").stdout)
	st := lifeRecord(t, id).State
	mon := monitorPid(t, st.Pid)
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	checked := 0
	for _, p := range procs {
		stat, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 2 || f[1] != fmt.Sprint(mon) {
			continue
		}
		dir := filepath.Dir(p)
		fds, _ := os.ReadDir(filepath.Join(dir, "fd"))
		for _, fd := range fds {
			if l, _ := os.Readlink(filepath.Join(dir, "fd", fd.Name())); l == logf {
				t.Errorf("%s (a child of monitor %d) holds the caller's --log as fd %s", dir, mon, fd.Name())
			}
		}
		checked++
	}
	if checked < 2 {
		t.Fatalf("found %d children of monitor %d, want the init and the reaper", checked, mon)
	}
}
