package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostStamp is what a layer must not change of a path outside it: its
// content's size and mode, its mtime, and its ctime, which any change of
// metadata (times, owner, mode, xattrs) moves.
type hostStamp struct {
	mode         uint32
	uid, gid     uint32
	size         int64
	mtime, ctime unix.Timespec
}

func stampOf(t testing.TB, p string) hostStamp {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return hostStamp{st.Mode, st.Uid, st.Gid, st.Size, st.Mtim, st.Ctim}
}

// hostTree makes parent/host/target/file, dated 2020 so that a time the
// layer sets shows, and returns the stamps of everything under host and a
// function that takes them again.
func hostTree(t testing.TB, parent string) (map[string]hostStamp, func() map[string]hostStamp) {
	t.Helper()
	host := filepath.Join(parent, "host")
	paths := []string{host, filepath.Join(host, "target"), filepath.Join(host, "target", "file")}
	if err := os.MkdirAll(paths[1], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths[2], []byte("host's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 2, 2, 0, 0, 0, 0, time.UTC)
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Chtimes(paths[i], old, old); err != nil {
			t.Fatal(err)
		}
	}
	snap := func() map[string]hostStamp {
		out := map[string]hostStamp{}
		err := filepath.WalkDir(host, func(p string, _ os.DirEntry, err error) error {
			if err == nil {
				out[p] = stampOf(t, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return snap(), snap
}

// checkHostTree fails t if anything under the host tree changed, appeared
// or went.
func checkHostTree(t testing.TB, before, after map[string]hostStamp) {
	t.Helper()
	for p, want := range before {
		if got, ok := after[p]; !ok {
			t.Errorf("host path %s went", p)
		} else if got != want {
			t.Errorf("host path %s changed: %+v, was %+v", p, got, want)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("host path %s appeared", p)
		}
	}
}

// A later entry that replaces a directory of the layer with a symlink out
// of it must not carry the directory's deferred times there: the times of
// x/ and x/target/ are set at the end, and by then x leads to the host's
// directory, absolute or climbing out with "..". Nothing outside the root
// changes, content or metadata. Needs no root.
func TestUnpackDirTimesStayInside(t *testing.T) {
	layerTime := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		link func(parent string) string
	}{
		{"absolute", func(parent string) string { return filepath.Join(parent, "host") }},
		{"relative", func(string) string { return "../host" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent, root := sandbox(t)
			before, snap := hostTree(t, parent)
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			for _, h := range []*tar.Header{
				{Name: "x/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: layerTime},
				{Name: "x/target/", Typeflag: tar.TypeDir, Mode: 0o700, ModTime: layerTime},
				{Name: "x", Typeflag: tar.TypeSymlink, Linkname: c.link(parent), ModTime: layerTime},
			} {
				if err := tw.WriteHeader(h); err != nil {
					t.Fatal(err)
				}
			}
			tw.Close()
			if _, err := unpack(&buf, root); err != nil {
				t.Fatal(err)
			}
			checkHostTree(t, before, snap())
			if l, err := os.Readlink(filepath.Join(root, "x")); err != nil || l != c.link(parent) {
				t.Errorf("x -> %q (%v), want the symlink the layer ends with", l, err)
			}
		})
	}
}

// Times still land where they belong: on every directory, the last entry
// for a path winning, and on a directory made again after a file replaced
// it.
func TestUnpackDirTimes(t *testing.T) {
	_, root := sandbox(t)
	t1 := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := time.Date(2002, 2, 2, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: t1},
		{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: t1},
		{Name: "a/b/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: t1},
		{Name: "a/b/f", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: t2},
		{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: t2},
		{Name: "r/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: t1},
		{Name: "r", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: t1},
		{Name: "r/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: t2},
		{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "a", ModTime: t1},
		{Name: "l/c/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: t2},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	if _, err := unpack(&buf, root); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]time.Time{".": t1, "a": t2, "a/b": t1, "a/b/f": t2, "r": t2, "a/c": t2} {
		fi, err := os.Lstat(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !fi.ModTime().Equal(want) {
			t.Errorf("%s: mtime %v, want %v", p, fi.ModTime().UTC(), want)
		}
	}
}

// The fallback for kernels without openat2 refuses a symlink on the way
// as openat2 does.
func TestWalkDirIn(t *testing.T) {
	parent, root := sandbox(t)
	os.MkdirAll(filepath.Join(root, "a", "b"), 0o755)
	os.Mkdir(filepath.Join(parent, "out"), 0o755)
	os.Symlink(filepath.Join(parent, "out"), filepath.Join(root, "abs"))
	os.Symlink("a", filepath.Join(root, "rel"))
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rfd)
	for rel, ok := range map[string]bool{".": true, "a": true, "a/b": true, "abs": false, "rel/b": false, "a/../a": false, "a/nope": false} {
		fd, err := walkDirIn(rfd, rel)
		if ok != (err == nil) {
			t.Errorf("walkDirIn %q: %v, want success %v", rel, err, ok)
		}
		if err == nil {
			unix.Close(fd)
		}
	}
}
