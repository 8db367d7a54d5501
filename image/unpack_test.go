package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// tarEntry is a compact way to write test tars.
type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func makeTar(t testing.TB, entries ...tarEntry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Size: int64(len(e.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// sandbox gives a layer root inside a parent dir, so escapes are visible as
// files in the parent.
func sandbox(t *testing.T) (parent, root string) {
	parent = t.TempDir()
	root = filepath.Join(parent, "layer")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return parent, root
}

func TestUnpackRefusesDotDot(t *testing.T) {
	parent, root := sandbox(t)
	_, err := unpack(makeTar(t, tarEntry{name: "../x", body: "escaped"}), root)
	if err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Fatalf("unpack ../x: err = %v, want an escape error", err)
	}
	if _, err := os.Stat(filepath.Join(parent, "x")); err == nil {
		t.Fatal("../x was written outside the layer")
	}
	// A ".." that stays inside is just a path.
	if _, err := unpack(makeTar(t, tarEntry{name: "a/../b", body: "ok"}), root); err != nil {
		t.Fatalf("unpack a/../b: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "b")); err != nil {
		t.Fatalf("a/../b: %v", err)
	}
}

func TestUnpackAbsoluteNameStaysInside(t *testing.T) {
	parent, root := sandbox(t)
	abs := filepath.Join(parent, "abs-target")
	if _, err := unpack(makeTar(t, tarEntry{name: abs, body: "x"}), root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err == nil {
		t.Fatal("absolute entry written on the host path")
	}
	if _, err := os.Stat(filepath.Join(root, abs)); err != nil {
		t.Fatalf("absolute entry not under the layer: %v", err)
	}
}

func TestUnpackSymlinkedParentStaysInside(t *testing.T) {
	parent, root := sandbox(t)
	outside := filepath.Join(parent, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	tr := makeTar(t,
		// An absolute symlink, then a file under it.
		tarEntry{name: "etc", typ: tar.TypeSymlink, link: outside},
		tarEntry{name: "etc/passwd", body: "pwned"},
		// A relative one climbing out, then a file under it.
		tarEntry{name: "up", typ: tar.TypeSymlink, link: "../../../../../../" + outside},
		tarEntry{name: "up/shadow", body: "pwned"},
		// A hard link to a host file through the symlink.
		tarEntry{name: "hl", typ: tar.TypeLink, link: "etc/../../outside/secret"},
	)
	_, err := unpack(tr, root)
	ents, _ := os.ReadDir(outside)
	if len(ents) != 0 {
		t.Fatalf("files written outside the layer: %v", ents)
	}
	if err == nil {
		t.Fatal("hard link that climbs out: no error")
	}
	for _, p := range []string{"etc/passwd", "up/shadow"} {
		full := filepath.Join(root, outside, filepath.Base(p))
		if b, err := os.ReadFile(full); err != nil || string(b) != "pwned" {
			t.Errorf("%s: want it at %s inside the layer: %v", p, full, err)
		}
	}
	if l, err := os.Readlink(filepath.Join(root, "etc")); err != nil || l != outside {
		t.Errorf("symlink etc kept as %q, %v", l, err)
	}
}

func TestUnpackKeepsModesLinksAndReplaces(t *testing.T) {
	_, root := sandbox(t)
	tr := makeTar(t,
		tarEntry{name: "./", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "bin/", typ: tar.TypeDir},
		tarEntry{name: "bin/busybox", body: "#!", mode: 0o4755},
		tarEntry{name: "bin/sh", typ: tar.TypeSymlink, link: "busybox"},
		tarEntry{name: "bin/ls", typ: tar.TypeLink, link: "bin/busybox"},
		tarEntry{name: "f", body: "old"},
		tarEntry{name: "f", body: "new"},
		tarEntry{name: "d", typ: tar.TypeDir},
		tarEntry{name: "d/keep", body: "k"},
		tarEntry{name: "d", typ: tar.TypeDir, mode: 0o700},
		tarEntry{name: "p", typ: tar.TypeFifo, mode: 0o600},
	)
	size, err := unpack(tr, root)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len("#!old"+"new"+"k")) {
		t.Errorf("size = %d", size)
	}
	fi, err := os.Stat(filepath.Join(root, "bin/busybox"))
	if err != nil || fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o755 {
		t.Errorf("busybox mode: %v %v", fi.Mode(), err)
	}
	if l, _ := os.Readlink(filepath.Join(root, "bin/sh")); l != "busybox" {
		t.Errorf("bin/sh -> %q", l)
	}
	var a, b unix.Stat_t
	unix.Stat(filepath.Join(root, "bin/busybox"), &a)
	unix.Stat(filepath.Join(root, "bin/ls"), &b)
	if a.Ino != b.Ino {
		t.Error("bin/ls is not a hard link of bin/busybox")
	}
	if s, _ := os.ReadFile(filepath.Join(root, "f")); string(s) != "new" {
		t.Errorf("f = %q, want the later entry", s)
	}
	if _, err := os.Stat(filepath.Join(root, "d/keep")); err != nil {
		t.Error("a repeated directory entry lost its contents")
	}
	if fi, _ := os.Stat(filepath.Join(root, "d")); fi.Mode().Perm() != 0o700 {
		t.Errorf("d mode %v, want the later entry's", fi.Mode())
	}
	if fi, err := os.Lstat(filepath.Join(root, "p")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("fifo: %v %v", fi, err)
	}
}

func TestUnpackWhiteouts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts need root: mknod 0:0 and trusted.* xattrs")
	}
	_, root := sandbox(t)
	tr := makeTar(t,
		tarEntry{name: "etc/", typ: tar.TypeDir},
		tarEntry{name: "etc/.wh.motd", body: ""},
		tarEntry{name: "var/cache/.wh..wh..opq", body: ""},
		tarEntry{name: "var/cache/new", body: "n"},
		tarEntry{name: ".wh..wh.plnk", typ: tar.TypeDir},
	)
	if _, err := unpack(tr, root); err != nil {
		if strings.Contains(err.Error(), "operation not supported") {
			t.Skipf("filesystem of %s lacks trusted xattrs: %v", root, err)
		}
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, "etc/motd"), &st); err != nil {
		t.Fatalf("whiteout etc/motd: %v", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("etc/motd: mode %o rdev %d, want a 0:0 char device", st.Mode, st.Rdev)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/.wh.motd")); err == nil {
		t.Error("the .wh. file itself was unpacked")
	}
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(filepath.Join(root, "var/cache"), overlayOpaque, buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Errorf("var/cache opaque xattr: %q %v", buf[:n], err)
	}
	if _, err := os.Stat(filepath.Join(root, "var/cache/new")); err != nil {
		t.Error("file beside the opaque marker missing")
	}
	if _, err := os.Lstat(filepath.Join(root, ".wh..wh.plnk")); err == nil {
		t.Error("aufs metadata dir unpacked")
	}
}

func TestUnpackDropsOverlayXattrsFromTar(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("trusted.* xattrs need root")
	}
	_, root := sandbox(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755,
		PAXRecords: map[string]string{"SCHILY.xattr.trusted.overlay.redirect": "/etc", "SCHILY.xattr.user.note": "hi"}})
	tw.Close()
	if _, err := unpack(&buf, root); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	if _, err := unix.Lgetxattr(filepath.Join(root, "d"), "trusted.overlay.redirect", b); err == nil {
		t.Error("a layer set an overlay xattr")
	}
	if n, err := unix.Lgetxattr(filepath.Join(root, "d"), "user.note", b); err == nil && string(b[:n]) != "hi" {
		t.Errorf("user.note = %q", b[:n])
	}
}
