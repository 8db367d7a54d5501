package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeContainer makes a directory laid out as a container's root, with
// symlinks that would lead to the host's outside if followed on the host:
// /x -> /, /e -> /etc, /h -> outside, /rel -> ../../..outside.
func fakeContainer(t *testing.T) (root *Root, dir, outside string) {
	t.Helper()
	dir, outside = t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(outside, "shadow"), []byte("HOST-SECRET\n"), 0o600)
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("container passwd\n"), 0o644)
	os.Symlink("/", filepath.Join(dir, "x"))
	os.Symlink("/etc", filepath.Join(dir, "e"))
	os.Symlink(outside, filepath.Join(dir, "h"))
	os.Symlink(strings.Repeat("../", 12)+strings.TrimPrefix(outside, "/"), filepath.Join(dir, "rel"))
	f, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Openat2(int(f.Fd()), ".", &unix.OpenHow{Flags: unix.O_PATH, Resolve: unix.RESOLVE_IN_ROOT}); errors.Is(err, unix.ENOSYS) {
		t.Skip("no openat2 on this kernel (Linux 5.6)")
	}
	root = ContainerRoot(f)
	t.Cleanup(func() { root.Close() })
	return root, dir, outside
}

func hostRoot(t *testing.T) *Root {
	t.Helper()
	h, err := HostRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func copyTo(t *testing.T, src *Root, srcPath string, dst *Root, dstPath string) error {
	t.Helper()
	s, err := src.OpenSource(srcPath, false)
	if err != nil {
		return err
	}
	defer s.Close()
	tg, err := dst.Target(dstPath, s.Name, s.IsDir())
	if err != nil {
		return err
	}
	defer tg.Close()
	return Copy(s, tg)
}

func TestSymlinksResolveInTheContainer(t *testing.T) {
	root, _, outside := fakeContainer(t)
	host := hostRoot(t)
	out := t.TempDir()
	for _, p := range []string{"/h/shadow", "/rel/shadow", "/x" + outside + "/shadow"} {
		err := copyTo(t, root, p, host, filepath.Join(out, "got"))
		if !errors.Is(err, unix.ENOENT) {
			t.Errorf("copy out of %s: %v, want ENOENT (resolved in the container)", p, err)
		}
	}
	for _, p := range []string{"/x/etc/passwd", "/e/passwd", "/x/../../e/passwd"} {
		os.Remove(filepath.Join(out, "got"))
		if err := copyTo(t, root, p, host, filepath.Join(out, "got")); err != nil {
			t.Fatalf("copy out of %s: %v", p, err)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "got")); string(b) != "container passwd\n" {
			t.Errorf("copy out of %s: %q", p, b)
		}
	}
	// Into the container through the same symlinks: never the host's.
	in := filepath.Join(t.TempDir(), "in")
	os.WriteFile(in, []byte("PWNED\n"), 0o644)
	for _, p := range []string{"/h/shadow", "/rel/shadow", "/x" + outside + "/shadow", "/h/"} {
		if err := copyTo(t, host, in, root, p); err == nil {
			t.Errorf("copy into %s: succeeded", p)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "shadow")); string(b) != "HOST-SECRET\n" {
		t.Fatalf("the host's file was written: %q", b)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Fatalf("a file was made outside the container: %v", ents)
	}
}

// Docker's cp rules for where a source lands.
func TestTargetRules(t *testing.T) {
	root, dir, _ := fakeContainer(t)
	host := hostRoot(t)
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "d", "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "d", "sub", "f"), []byte("f\n"), 0o644)
	os.WriteFile(filepath.Join(src, "file"), []byte("file\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "into"), 0o755)

	for _, c := range []struct {
		src, dst, want, err string
	}{
		{"file", "/new", "new", ""},
		{"file", "/into", "into/file", ""},
		{"file", "/into/", "into/file", ""},
		{"file", "/etc/passwd", "etc/passwd", ""}, // replaced
		{"file", "/nodir/", "", "must exist"},
		{"file", "/no/parent", "", "does not exist"},
		{"d", "/newdir", "newdir/sub/f", ""},
		{"d", "/into", "into/d/sub/f", ""},
		{"d/.", "/into", "into/sub/f", ""},
		{"d/.", "/fresh", "fresh/sub/f", ""},
		{"d", "/new", "", "cannot overwrite a file with a directory"},
		{"file/", "/x", "", "not a directory"},
	} {
		err := copyTo(t, host, src+"/"+c.src, root, c.dst)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("cp %s %s: %v, want %q", c.src, c.dst, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("cp %s %s: %v", c.src, c.dst, err)
		case c.err == "":
			if _, err := os.Lstat(filepath.Join(dir, c.want)); err != nil {
				t.Errorf("cp %s %s: no %s: %v", c.src, c.dst, c.want, err)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "etc", "passwd")); string(b) != "file\n" {
		t.Errorf("a file over a file: %q", b)
	}
}

// A tar stream's entries stay below the destination; its missing
// directories are made; a symlink, a hard link and a file round-trip.
func TestStream(t *testing.T) {
	root, dir, outside := fakeContainer(t)
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "a/b/c", Mode: 0o640, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("c\n"))
	tw.WriteHeader(&tar.Header{Name: "a/link", Linkname: "/etc", Typeflag: tar.TypeSymlink})
	tw.WriteHeader(&tar.Header{Name: "a/hard", Linkname: "a/b/c", Typeflag: tar.TypeLink})
	tw.Close()
	tg, err := root.StreamTarget("/")
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if err := tg.Extract(&b); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a", "hard")); string(got) != "c\n" {
		t.Errorf("hard link: %q", got)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "a", "link")); l != "/etc" {
		t.Errorf("symlink: %q", l)
	}
	if st, _ := os.Stat(filepath.Join(dir, "a", "b", "c")); st == nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode: %v", st)
	}

	for _, name := range []string{"../escape", "a/../../escape", "h/shadow"} {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 6, Typeflag: tar.TypeReg})
		tw.Write([]byte("PWNED\n"))
		tw.Close()
		if err := tg.Extract(&b); err == nil && name != "h/shadow" {
			t.Errorf("entry %s: extracted", name)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(outside, "shadow")); string(got) != "HOST-SECRET\n" {
		t.Fatalf("the host's file was written: %q", got)
	}

	// Out again: the same tree.
	s, err := root.OpenSource("/a", false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out bytes.Buffer
	if err := s.WriteTar(&out); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&out)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name+string(h.Typeflag))
	}
	got := strings.Join(names, " ")
	want := "a/5 a/b/5 a/b/c0 a/hard1 a/link2"
	if got != want {
		t.Errorf("archive: %s, want %s", got, want)
	}
}
