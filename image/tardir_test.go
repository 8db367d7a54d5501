package image

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWriteTarRoundTrip(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "a/b"), 0o750)
	os.WriteFile(filepath.Join(src, "a/f"), []byte("data"), 0o640)
	os.Link(filepath.Join(src, "a/f"), filepath.Join(src, "a/b/hard"))
	os.Symlink("../f", filepath.Join(src, "a/b/soft"))
	unix.Mkfifo(filepath.Join(src, "fifo"), 0o600)
	xattrOK := unix.Lsetxattr(filepath.Join(src, "a/f"), "user.note", []byte("v"), 0) == nil

	var buf bytes.Buffer
	if err := writeTar(src, &buf); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if _, err := unpack(&buf, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "a/b/hard")); string(b) != "data" {
		t.Errorf("hard link content %q", b)
	}
	var st1, st2 syscall.Stat_t
	syscall.Stat(filepath.Join(dst, "a/f"), &st1)
	syscall.Stat(filepath.Join(dst, "a/b/hard"), &st2)
	if st1.Ino != st2.Ino {
		t.Error("hard link not kept")
	}
	if l, _ := os.Readlink(filepath.Join(dst, "a/b/soft")); l != "../f" {
		t.Errorf("symlink -> %q", l)
	}
	if fi, _ := os.Stat(filepath.Join(dst, "a")); fi.Mode().Perm() != 0o750 {
		t.Errorf("dir mode %v", fi.Mode())
	}
	if fi, _ := os.Stat(filepath.Join(dst, "a/f")); fi.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v", fi.Mode())
	}
	if fi, err := os.Lstat(filepath.Join(dst, "fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("fifo: %v", err)
	}
	if xattrOK {
		v := make([]byte, 4)
		if n, err := unix.Lgetxattr(filepath.Join(dst, "a/f"), "user.note", v); err != nil || string(v[:n]) != "v" {
			t.Errorf("xattr user.note: %q %v", v[:n], err)
		}
	}
}

func TestUnpackImpliedDirsIgnoreUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	_, root := sandbox(t)
	if _, err := unpack(makeTar(t, tarEntry{name: "usr/bin/tool", body: "x"}), root); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"usr", "usr/bin"} {
		if fi, _ := os.Stat(filepath.Join(root, d)); fi.Mode().Perm() != 0o755 {
			t.Errorf("implied %s: mode %v, want 0755", d, fi.Mode().Perm())
		}
	}
}

// A file swapped for a symlink (or anything else) between the walk and
// the read is refused, not followed: the symlink could name a host file.
func TestCopyFileRefusesSwappedEntry(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(p, []byte("image data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	// Held, so the file's inode is not freed and handed to the swap.
	if err := os.Link(p, p+".held"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := copyFile(&buf, p, fi); err != nil || buf.String() != "image data" {
		t.Fatalf("copy of an unchanged file: %v, %q", err, buf.String())
	}
	for name, swap := range map[string]func() error{
		"symlink": func() error { return os.Symlink(secret, p) },
		"other file": func() error {
			return os.WriteFile(p, []byte("host secret"), 0o644)
		},
	} {
		os.Remove(p)
		if err := swap(); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := copyFile(&buf, p, fi); err == nil || strings.Contains(buf.String(), "secret") {
			t.Errorf("%s: copy gave %v and %q, want a refusal", name, err, buf.String())
		}
	}
}
