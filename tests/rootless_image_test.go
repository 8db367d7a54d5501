package tests

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"
)

// rlEnt is one entry of a layer tar built by rlLayer.
type rlEnt struct {
	name     string
	typ      byte
	uid, gid int
	body     string
}

func rlLayer(t *testing.T, ents ...rlEnt) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		mode := int64(0o644)
		if e.typ == tar.TypeDir {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: e.typ, Uid: e.uid, Gid: e.gid, Mode: mode, Size: int64(len(e.body))}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	return buf.Bytes()
}

// rootlessShiftedImage imports, as the unprivileged caller with subordinate
// ranges, a three-layer image (docker save): the busybox rootfs; files of
// uid 0 and uid 1000 and two directories; then a layer that deletes a file
// (.wh.) and makes one directory opaque (.wh..wh..opq). On the host the
// layers hold the owners shifted into the range (uid 1000 is sub+999, uid
// 0 the caller); inside the container they are 1000 and 0 again, the
// deleted file is gone and the opaque directory shows only the top
// layer's file. rmi then removes every layer, shifted owners and all.
//
// With sub 0 (a caller without subordinate ranges) the layers are the
// caller's own files, root's inside under the single mapping, and the
// whiteouts work the same.
func rootlessShiftedImage(t *testing.T, uid, sub int) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", base, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	baseData, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	layers := [][]byte{baseData,
		rlLayer(t,
			rlEnt{name: "etc/owned1000", typ: tar.TypeReg, uid: 1000, gid: 1000, body: "a thousand\n"},
			rlEnt{name: "etc/old.conf", typ: tar.TypeReg, body: "old\n"},
			rlEnt{name: "opq/", typ: tar.TypeDir},
			rlEnt{name: "opq/lower", typ: tar.TypeReg, body: "lower\n"},
			rlEnt{name: "keep/", typ: tar.TypeDir},
			rlEnt{name: "keep/lower", typ: tar.TypeReg, body: "kept\n"},
		),
		rlLayer(t,
			rlEnt{name: "etc/.wh.old.conf", typ: tar.TypeReg},
			rlEnt{name: "opq/", typ: tar.TypeDir},
			rlEnt{name: "opq/.wh..wh..opq", typ: tar.TypeReg},
			rlEnt{name: "opq/upper", typ: tar.TypeReg, uid: 1000, gid: 1000, body: "upper\n"},
			rlEnt{name: "keep/upper", typ: tar.TypeReg, body: "added\n"},
		),
	}
	var ls []v1.Layer
	for _, data := range layers {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config = v1.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	save := filepath.Join(dir, "save.tar")
	tag, _ := name.NewTag("example/shifted:1")
	if err := tarball.WriteToFile(save, tag, img); err != nil {
		t.Fatal(err)
	}
	if r := runMinirun(t, "", "import", "shifted", save); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	store := filepath.Join(os.Getenv("HOME"), ".local", "share", "minirun")

	// On the host: shifted owners, a 0:0 whiteout and user.overlay.opaque.
	var owned, busybox, whiteout, opaque string
	ents, _ := filepath.Glob(filepath.Join(store, "layers", "sha256", "*", "fs"))
	for _, fs := range ents {
		for p, dst := range map[string]*string{"etc/owned1000": &owned, "bin/busybox": &busybox, "etc/old.conf": &whiteout, "opq": &opaque} {
			if _, err := os.Lstat(filepath.Join(fs, p)); err == nil {
				if p == "etc/old.conf" && *dst != "" {
					// the lower layer's file; keep the whiteout
					var st unix.Stat_t
					if unix.Lstat(filepath.Join(fs, p), &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFCHR {
						continue
					}
				}
				if p == "opq" {
					if _, err := os.Lstat(filepath.Join(fs, p, "upper")); err != nil {
						continue
					}
				}
				*dst = filepath.Join(fs, p)
			}
		}
	}
	ownedHost := []int{sub + 999, sub + 999}
	if sub == 0 {
		ownedHost = []int{uid, os.Getgid()}
	}
	for _, c := range []struct {
		path     string
		uid, gid int
	}{{owned, ownedHost[0], ownedHost[1]}, {busybox, uid, os.Getgid()}} {
		var st syscall.Stat_t
		if err := syscall.Lstat(c.path, &st); err != nil || int(st.Uid) != c.uid || int(st.Gid) != c.gid {
			t.Errorf("on the host, %s: owner %d:%d (%v), want %d:%d", c.path, st.Uid, st.Gid, err, c.uid, c.gid)
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(whiteout, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("whiteout %s: mode %o rdev %d (%v), want a 0:0 char device", whiteout, st.Mode, st.Rdev, err)
	}
	buf := make([]byte, 8)
	if n, err := unix.Getxattr(opaque, "user.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
		t.Errorf("opaque dir %s: user.overlay.opaque %q (%v), want y", opaque, buf[:max(n, 0)], err)
	}
	t.Logf("on the host: %s is %d:%d (sub %d), whiteout %s, opaque %s", owned, ownedHost[0], ownedHost[1], sub, whiteout, opaque)

	r := runMinirun(t, "", "run", "--rm", "shifted", "sh", "-c",
		"cat /proc/self/uid_map; stat -c '%u:%g %n' /etc/owned1000 /opq/upper /bin/busybox; ls /opq; ls /keep; test -e /etc/old.conf || echo old-gone")
	t.Logf("inside: exit %d %q %q", r.code, r.stdout, r.stderr)
	want := fmt.Sprintf("0 %d 1\n1 %d %d\n1000:1000 /etc/owned1000\n1000:1000 /opq/upper\n0:0 /bin/busybox\nupper\nlower\nupper\nold-gone\n", uid, sub, rlSubSize)
	if sub == 0 {
		want = fmt.Sprintf("0 %d 1\n0:0 /etc/owned1000\n0:0 /opq/upper\n0:0 /bin/busybox\nupper\nlower\nupper\nold-gone\n", uid)
	}
	if r.code != 0 || squeeze(r.stdout) != want {
		t.Fatalf("inside: %+v, want %q", r, want)
	}
	// A rootfs directory of the caller's own files, imported, is root's
	// inside, as the caller is.
	own := filepath.Join(t.TempDir(), "own")
	os.MkdirAll(filepath.Join(own, "bin"), 0o755)
	if out, err := exec.Command("cp", filepath.Join(rootfs, "bin", "busybox"), filepath.Join(own, "bin")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	os.Symlink("busybox", filepath.Join(own, "bin", "sh"))
	os.Symlink("busybox", filepath.Join(own, "bin", "stat"))
	if r := runMinirun(t, "", "import", "owndir", own); r.code != 0 {
		t.Fatalf("import of the caller's own directory: %+v", r)
	}
	r = runMinirun(t, "", "run", "--rm", "owndir", "/bin/stat", "-c", "%u:%g", "/bin/busybox")
	if r.code != 0 || r.stdout != "0:0\n" {
		t.Fatalf("the caller's own directory, inside: %+v, want 0:0", r)
	}
	if r := runMinirun(t, "", "rmi", "owndir"); r.code != 0 {
		t.Fatalf("rmi: %+v", r)
	}
	if sub == 0 {
		if r := runMinirun(t, "", "rmi", "shifted"); r.code != 0 {
			t.Fatalf("rmi: %+v", r)
		}
		checkStoreEmpty(t, store)
		return
	}
	// uid 1000 may write its own file and not root's.
	r = runMinirun(t, "", "run", "--rm", "--user", "1000:1000", "shifted", "sh", "-c", "echo more >> /etc/owned1000 && echo wrote; echo x >> /bin/busybox || echo refused")
	if r.code != 0 || !strings.Contains(r.stdout, "wrote") || !strings.Contains(r.stdout, "refused") {
		t.Fatalf("as uid 1000: %+v", r)
	}
	// A container that made files as uid 1000 in its upper layer is
	// removed whole too.
	if r := runMinirun(t, "", "run", "--name", "shifted-kept", "--user", "1000:1000", "shifted", "sh", "-c", "mkdir /tmp/d && touch /tmp/d/f && chmod 500 /tmp/d"); r.code != 0 {
		t.Fatalf("run --name: %+v", r)
	}
	if r := runMinirun(t, "", "rm", "shifted-kept"); r.code != 0 {
		t.Fatalf("rm: %+v", r)
	}
	if r := runMinirun(t, "", "rmi", "shifted"); r.code != 0 {
		t.Fatalf("rmi: %+v", r)
	}
	checkStoreEmpty(t, store)
}
