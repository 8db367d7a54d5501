package tests

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/minirun/minirun/image"
)

// imgLayerTar builds a layer tar in memory from name -> content; a content
// of "" with a ".wh." name is a whiteout.
func imgLayerTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		body := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	tw.Close()
	return buf.Bytes()
}

// imgTestImage is a two-layer image: busybox and a config file, then a layer
// that deletes the config file and adds another.
func imgTestImage(t *testing.T) v1.Image {
	t.Helper()
	bb, err := os.ReadFile(filepath.Join(rootfs, "bin/busybox"))
	if err != nil {
		t.Fatal(err)
	}
	var layers []v1.Layer
	for _, files := range []map[string]string{
		{"bin/busybox": string(bb), "etc/old.conf": "old"},
		{"etc/.wh.old.conf": "", "etc/new.conf": "new"},
	} {
		data := imgLayerTar(t, files)
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config = v1.Config{
		Env: []string{"PATH=/bin", "GREETING=hi"}, Entrypoint: []string{"/bin/busybox"},
		Cmd: []string{"sh"}, WorkingDir: "/etc", User: "1000:1000",
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func imgCheckTestImage(t *testing.T, got *image.Image, want v1.Image) {
	t.Helper()
	id, _ := want.ConfigName()
	if got.ID != id.String() {
		t.Errorf("ID = %s, want the config digest %s", got.ID, id)
	}
	if len(got.Layers) != 2 {
		t.Fatalf("layers = %v, want 2", got.Layers)
	}
	c := got.Config
	if !slices.Equal(c.Env, []string{"PATH=/bin", "GREETING=hi"}) || !slices.Equal(c.Entrypoint, []string{"/bin/busybox"}) ||
		!slices.Equal(c.Cmd, []string{"sh"}) || c.WorkingDir != "/etc" || c.User != "1000:1000" {
		t.Errorf("config = %+v", c)
	}
	if b, err := os.ReadFile(filepath.Join(got.Layers[0], "etc/old.conf")); err != nil || string(b) != "old" {
		t.Errorf("lower layer etc/old.conf: %q %v", b, err)
	}
	fi, err := os.Lstat(filepath.Join(got.Layers[1], "etc/old.conf"))
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Errorf("upper layer etc/old.conf should be an overlay whiteout: %v %v", fi, err)
	}
}

func TestImagePullFromLocalRegistry(t *testing.T) {
	needRoot(t)
	s := imgStore(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref := host + "/test/busybox:1"
	want := imgTestImage(t)
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, want); err != nil {
		t.Fatalf("push to the test registry: %v", err)
	}

	var progress bytes.Buffer
	got, err := s.Pull(context.Background(), ref, &progress)
	if err != nil {
		t.Fatalf("Pull %s: %v", ref, err)
	}
	if got.Name != ref {
		t.Errorf("Name = %q, want %q", got.Name, ref)
	}
	imgCheckTestImage(t, got, want)
	mustContain(t, "progress", progress.String(), "Pull complete")

	// The overlay shows the upper layer's whiteout as a deletion.
	rootfs, err := s.MountRootfs(got, "pulled")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(rootfs, "etc/old.conf")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("etc/old.conf visible through the whiteout: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(rootfs, "etc/new.conf")); err != nil || string(b) != "new" {
		t.Errorf("etc/new.conf: %q %v", b, err)
	}
	if err := s.RemoveRootfs("pulled"); err != nil {
		t.Fatal(err)
	}

	// A second pull fetches nothing.
	progress.Reset()
	if _, err := s.Pull(context.Background(), ref, &progress); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(progress.String(), "Already exists"); n != 2 {
		t.Errorf("second pull: %d layers already there, want 2:\n%s", n, progress.String())
	}

	// The CLI: pull into its own store, list, remove.
	store := t.TempDir()
	res := runMinirun(t, "", "--store", store, "pull", ref)
	if res.code != 0 {
		t.Fatalf("minirun pull: %d %s", res.code, res.stderr)
	}
	res = runMinirun(t, "", "--store", store, "images")
	mustContain(t, "minirun images", res.stdout, host+"/test/busybox ")
	idHex := strings.TrimPrefix(got.ID, "sha256:")
	mustContain(t, "minirun images", res.stdout, idHex[:12])
	if res := runMinirun(t, "", "--store", store, "pull", host+"/test/missing:1"); res.code != 125 {
		t.Errorf("pull of a missing image: exit %d, want 125", res.code)
	}
}

func TestImageImportKinds(t *testing.T) {
	needRoot(t)
	s := imgStore(t)
	dir := t.TempDir()
	want := imgTestImage(t)

	tarPath := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", tarPath, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	tgzPath := filepath.Join(dir, "rootfs.tar.gz")
	if out, err := exec.Command("tar", "-C", rootfs, "-czf", tgzPath, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	layoutPath := filepath.Join(dir, "layout")
	lp, err := layout.Write(layoutPath, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(want); err != nil {
		t.Fatal(err)
	}
	savePath := filepath.Join(dir, "save.tar")
	tag, _ := name.NewTag("example/saved:1")
	if err := tarball.WriteToFile(savePath, tag, want); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ name, src string }{
		{"from-dir", rootfs}, {"from-tar", tarPath}, {"from-tgz", tgzPath},
	} {
		img, err := s.Import(c.name, c.src)
		if err != nil {
			t.Errorf("Import %s: %v", c.src, err)
			continue
		}
		if img.Name != "docker.io/library/"+c.name+":latest" || len(img.Layers) != 1 {
			t.Errorf("Import %s: %+v", c.src, img)
			continue
		}
		// Ownership, symlinks and modes come through.
		if l, err := os.Readlink(filepath.Join(img.Layers[0], "bin/sh")); err != nil || l != "busybox" {
			t.Errorf("%s: bin/sh -> %q %v", c.name, l, err)
		}
		if fi, err := os.Stat(filepath.Join(img.Layers[0], "tmp")); err != nil || fi.Mode()&fs.ModeSticky == 0 {
			t.Errorf("%s: /tmp lost its sticky bit: %v", c.name, err)
		}
		if got, _ := s.Get(c.name); got == nil || got.ID != img.ID {
			t.Errorf("Get %s after import: %v", c.name, got)
		}
	}
	for _, c := range []struct{ name, src string }{{"oci:1", layoutPath}, {"saved:1", savePath}} {
		img, err := s.Import(c.name, c.src)
		if err != nil {
			t.Errorf("Import %s: %v", c.src, err)
			continue
		}
		imgCheckTestImage(t, img, want)
	}
	if _, err := s.Import("bad", filepath.Join(dir, "nope")); err == nil {
		t.Error("Import of a missing path: no error")
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root, "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ keeps %d entries", len(ents))
	}
}

// imgTreeSum digests a directory's names, modes, owners and contents.
func imgTreeSum(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %d\n", p, fi.Mode(), fi.Size())
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			io.Copy(h, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func imgOverlayMounts(t *testing.T, under string) int {
	t.Helper()
	return mountsUnder(t, under)
}

func TestImageCopyOnWrite(t *testing.T) {
	needRoot(t)
	s := imgStore(t)
	img, err := s.Import("cow", rootfs)
	if err != nil {
		t.Fatal(err)
	}
	before := imgTreeSum(t, img.Layers[0])

	root, err := s.MountRootfs(img, "cow1")
	if err != nil {
		t.Fatal(err)
	}
	if root != filepath.Join(s.Root, "containers/cow1/rootfs") {
		t.Errorf("rootfs at %s", root)
	}
	if _, err := s.MountRootfs(img, "cow1"); err == nil {
		t.Error("a second MountRootfs for one container: no error")
	}
	if err := os.WriteFile(filepath.Join(root, "etc/written"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "bin/busybox"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root, "containers/cow1/upper/etc/written")); err != nil {
		t.Errorf("write did not land in the upper dir: %v", err)
	}
	// A process sitting in the rootfs makes the unmount busy: it must be
	// detached, not left behind.
	busy, err := os.Open(filepath.Join(root, "etc"))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if err := s.RemoveRootfs("cow1"); err != nil {
		t.Fatal(err)
	}
	if n := imgOverlayMounts(t, s.Root); n != 0 {
		t.Errorf("%d mounts left under %s after RemoveRootfs", n, s.Root)
	}
	if _, err := os.Stat(filepath.Join(s.Root, "containers/cow1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("container dir left: %v", err)
	}
	if err := s.RemoveRootfs("cow1"); err != nil {
		t.Errorf("RemoveRootfs twice: %v", err)
	}

	root, err = s.MountRootfs(img, "cow1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/written")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file from the last container still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/passwd")); err != nil {
		t.Errorf("etc/passwd deleted in the last container is gone: %v", err)
	}
	if after := imgTreeSum(t, img.Layers[0]); after != before {
		t.Error("the image layer changed")
	}
	// rmi while a container stacks the layer keeps the layer.
	if err := s.Remove("cow"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(img.Layers[0]); err != nil {
		t.Errorf("rmi took a layer a container root uses: %v", err)
	}
	if err := s.RemoveRootfs("cow1"); err != nil {
		t.Fatal(err)
	}
	if n := imgOverlayMounts(t, s.Root); n != 0 {
		t.Errorf("%d mounts left under %s", n, s.Root)
	}
}

func TestImageConcurrentImports(t *testing.T) {
	needRoot(t)
	s := imgStore(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine opens the store itself, as separate processes
			// would: the flock is what keeps them apart.
			s2, err := image.Open(s.Root)
			if err == nil {
				_, err = s2.Import(fmt.Sprintf("conc%d", i), rootfs)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("import %d: %v", i, err)
		}
	}
	list, err := s.List()
	if err != nil || len(list) != len(errs) {
		t.Fatalf("List: %d images, %v", len(list), err)
	}
	layers, _ := os.ReadDir(filepath.Join(s.Root, "layers/sha256"))
	if len(layers) != 1 {
		t.Errorf("%d layer dirs for one rootfs, want 1", len(layers))
	}
}

func TestImageCLIImportImagesRmi(t *testing.T) {
	needRoot(t)
	store := t.TempDir()
	res := runMinirun(t, "", "--store", store, "import", "busybox", rootfs)
	if res.code != 0 {
		t.Fatalf("import: %d %s", res.code, res.stderr)
	}
	res = runMinirun(t, "", "--store", store, "images")
	mustContain(t, "images", res.stdout, "REPOSITORY")
	mustContain(t, "images", res.stdout, "busybox ")
	res = runMinirun(t, "", "--store", store, "rmi", "busybox")
	if res.code != 0 {
		t.Fatalf("rmi: %d %s", res.code, res.stderr)
	}
	res = runMinirun(t, "", "--store", store, "rmi", "busybox")
	if res.code != 125 || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("rmi of a missing image: exit %d, stderr %q; want 125 and one line", res.code, res.stderr)
	}
	mustContain(t, "rmi stderr", res.stderr, "busybox")
	if layers, _ := os.ReadDir(filepath.Join(store, "layers/sha256")); len(layers) != 0 {
		t.Errorf("rmi left %d layers", len(layers))
	}
}

func TestImagePullIndexPicksPlatform(t *testing.T) {
	needRoot(t)
	s := imgStore(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/multi/arch:latest"

	mine := imgTestImage(t)
	other, err := mutate.AppendLayers(empty.Image)
	if err != nil {
		t.Fatal(err)
	}
	otherArch := "arm64"
	if runtime.GOARCH == "arm64" {
		otherArch = "amd64"
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: otherArch}}},
		mutate.IndexAddendum{Add: mine, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}}},
	)
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("push index: %v", err)
	}
	got, err := s.Pull(context.Background(), ref, nil)
	if err != nil {
		t.Fatalf("Pull %s: %v", ref, err)
	}
	imgCheckTestImage(t, got, mine)
}
