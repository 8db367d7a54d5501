package tests

// The Docker front's image commands (issue 22): auto-pull and --pull,
// pull progress, images, tag, save, load, push, rmi of an image in use,
// and import in both argument orders. The registry is
// go-containerregistry's, in this process on 127.0.0.1.

import (
	"archive/tar"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imgRegistry starts a registry for the test and returns its host:port.
func imgRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// imgRootfsImage is the test rootfs as an image of two layers: the
// rootfs, then /etc/imgtest holding version. Its config was created
// 15 days ago and runs sh.
func imgRootfsImage(t *testing.T, version string) v1.Image {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", base, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar the rootfs: %v %s", err, out)
	}
	l1, err := tarball.LayerFromFile(base)
	if err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(dir, "top.tar")
	f, err := os.Create(top)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "etc/imgtest", Mode: 0o644, Size: int64(len(version)), Typeflag: tar.TypeReg})
	io.WriteString(tw, version)
	tw.Close()
	f.Close()
	l2, err := tarball.LayerFromFile(top)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l1, l2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: time.Now().Add(-15 * 24 * time.Hour)}
	cf.Config = v1.Config{Env: []string{"PATH=/bin:/sbin:/usr/bin"}, Cmd: []string{"sh"}}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// imgPush writes img to ref in a test registry.
func imgPush(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push %s to the test registry: %v", ref, err)
	}
}

// imgLayerIDs are the short digests Docker's progress names img's
// layers by.
func imgLayerIDs(t *testing.T, img v1.Image) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.Hex[:12])
	}
	return ids
}

// imgMR runs minirun against store.
func imgMR(t *testing.T, store string, args ...string) result {
	t.Helper()
	return runMinirun(t, "", append([]string{"--store", store}, args...)...)
}

// imgOK runs minirun against store and fails the test unless it exits 0.
func imgOK(t *testing.T, store string, args ...string) result {
	t.Helper()
	r := imgMR(t, store, args...)
	if r.code != 0 {
		t.Fatalf("minirun %v: exit %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
	}
	return r
}

// imgStoreEmpty fails the test if store holds an image, a layer, a
// container or a temporary file.
func imgStoreEmpty(t *testing.T, store string) {
	t.Helper()
	checkStoreEmpty(t, store)
	if ents, _ := os.ReadDir(filepath.Join(store, "images")); len(ents) != 0 {
		t.Errorf("left in the store's images: %v", ents)
	}
}

// imgOneLine checks a failure: exit 125 and one line on stderr naming
// each of want.
func imgOneLine(t *testing.T, what string, r result, want ...string) {
	t.Helper()
	if r.code != exitDocker || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("%s: exit %d, stderr %q; want %d and one line", what, r.code, r.stderr, exitDocker)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("%s: stderr %q does not name %q", what, r.stderr, w)
		}
	}
}

func TestDockerImagesAutoPull(t *testing.T) {
	needRoot(t)
	host := imgRegistry(t)
	ref := host + "/test/rootfs:1"
	v1img := imgRootfsImage(t, "v1")
	imgPush(t, ref, v1img)
	store := t.TempDir()

	// Not in the store: run pulls it, saying so as Docker does.
	r := imgOK(t, store, "run", "--rm", ref, "cat", "/etc/imgtest")
	if r.stdout != "v1" {
		t.Errorf("run of a pulled image printed %q, want v1", r.stdout)
	}
	mustContain(t, "run's stderr", r.stderr, "Unable to find image '"+ref+"' locally\n")
	mustContain(t, "run's stderr", r.stderr, "1: Pulling from test/rootfs\n")
	mustContain(t, "run's stderr", r.stderr, "Status: Downloaded newer image for "+ref+"\n")

	// In the store: no pull by default, nor with --pull never, even once
	// the registry has a newer image under the tag.
	imgPush(t, ref, imgRootfsImage(t, "v2"))
	for _, args := range [][]string{{"run", "--rm", ref}, {"run", "--rm", "--pull", "never", ref}, {"run", "--rm", "--pull", "missing", ref}} {
		r = imgOK(t, store, append(args, "cat", "/etc/imgtest")...)
		if r.stdout != "v1" || r.stderr != "" {
			t.Errorf("%v: stdout %q, stderr %q; want the stored v1 and no pull", args, r.stdout, r.stderr)
		}
	}
	// --pull always fetches the tag again; the layer it already has is
	// not fetched twice.
	r = imgOK(t, store, "run", "--rm", "--pull", "always", ref, "cat", "/etc/imgtest")
	if r.stdout != "v2" {
		t.Errorf("run --pull always printed %q, want the registry's v2", r.stdout)
	}
	if strings.Contains(r.stderr, "Unable to find") {
		t.Errorf("run --pull always of a stored image said it was missing: %q", r.stderr)
	}
	mustContain(t, "run --pull always", r.stderr, imgLayerIDs(t, v1img)[0]+": Already exists")
	if r := imgMR(t, store, "run", "--rm", "--pull", "sometimes", ref, "true"); r.code != exitDocker || !strings.Contains(r.stderr, "sometimes") {
		t.Errorf("run --pull sometimes: %+v", r)
	}
}

func TestDockerImagesPullNeverAndMissing(t *testing.T) {
	needRoot(t)
	host := imgRegistry(t)
	ref := host + "/test/rootfs:1"
	imgPush(t, ref, imgRootfsImage(t, "v1"))
	store := t.TempDir()

	imgOneLine(t, "run --pull never", imgMR(t, store, "run", "--rm", "--pull", "never", ref, "true"), "No such image", ref)
	imgStoreEmpty(t, store)

	missing := host + "/test/missing:1"
	imgOneLine(t, "pull of a missing repository", imgMR(t, store, "pull", missing), missing)
	imgOneLine(t, "run of a missing repository", imgMR(t, store, "run", "--rm", missing, "true"),
		"Unable to find image '"+missing+"' locally", "fetch manifest")
	imgOneLine(t, "run --pull always of a missing repository", imgMR(t, store, "run", "--rm", "--pull", "always", missing, "true"), missing)
	imgStoreEmpty(t, store)
}

func TestDockerImagesPullProgress(t *testing.T) {
	needRoot(t)
	host := imgRegistry(t)
	ref := host + "/test/rootfs:1"
	img := imgRootfsImage(t, "v1")
	imgPush(t, ref, img)
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}

	// Not on a terminal: one plain line a layer, no escapes.
	r := imgOK(t, t.TempDir(), "pull", ref)
	for _, id := range imgLayerIDs(t, img) {
		if n := strings.Count(r.stderr, id); n != 1 {
			t.Errorf("layer %s is on %d lines, want 1:\n%s", id, n, r.stderr)
		}
		mustContain(t, "pull's progress", r.stderr, id+": Pull complete\n")
	}
	if strings.Contains(r.stderr, "\x1b") || strings.Contains(r.stderr, "Downloading") {
		t.Errorf("pull off a terminal drew progress bars:\n%q", r.stderr)
	}
	mustContain(t, "pull's progress", r.stderr, "Digest: "+digest.String()+"\n")
	if r.stdout != ref+"\n" {
		t.Errorf("pull printed %q, want the name", r.stdout)
	}

	// On a terminal (script(1) gives it one): each layer's line is
	// redrawn in place, from waiting through a bar to complete.
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no script(1) to give minirun a terminal")
	}
	store := t.TempDir()
	cmd := exec.Command("script", "-qec", minirun+" --store "+store+" pull "+ref, "/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pull under script: %v\n%q", err, out)
	}
	s := string(out)
	for _, id := range imgLayerIDs(t, img) {
		mustContain(t, "pull on a terminal", s, id+": Pulling fs layer")
		mustMatch(t, "pull on a terminal", s, regexp.QuoteMeta(id)+`: Downloading \[=*>? *\] [0-9.]+[kM]?B/[0-9.]+[kM]?B`)
	}
	// Up a line or more, clear it, redraw: the redraws of every status
	// after the first.
	if n := len(regexp.MustCompile(`\x1b\[[0-9]+A\r\x1b\[2K[0-9a-f]{12}: `).FindAllString(s, -1)); n < 4 {
		t.Errorf("%d redraws on a terminal, want one a status after the first of each layer (4 or more):\n%q", n, s)
	}
	mustMatch(t, "pull on a terminal", s, `\x1b\[[0-9]+A\r\x1b\[2K[0-9a-f]{12}: Pull complete`)
	mustContain(t, "pull on a terminal", s, "Status: Downloaded newer image for "+ref)
}

func TestDockerImagesList(t *testing.T) {
	needRoot(t)
	host := imgRegistry(t)
	ref := host + "/test/rootfs:1"
	img := imgRootfsImage(t, "v1")
	imgPush(t, ref, img)
	id, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	imgOK(t, store, "pull", ref)
	imgOK(t, store, "tag", ref, "other:2")

	r := imgOK(t, store, "images")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$`).MatchString(lines[0]) {
		t.Fatalf("images:\n%s", r.stdout)
	}
	for _, want := range []string{`^other +2 +` + id.Hex[:12] + ` +2 weeks ago +[0-9.]+MB$`, `^` + regexp.QuoteMeta(host) + `/test/rootfs +1 +` + id.Hex[:12] + ` +2 weeks ago +[0-9.]+MB$`} {
		found := false
		for _, l := range lines[1:] {
			found = found || regexp.MustCompile(want).MatchString(l)
		}
		if !found {
			t.Errorf("images has no line /%s/:\n%s", want, r.stdout)
		}
	}
	// -q: each image's ID once, however many names it has.
	if r := imgOK(t, store, "images", "-q"); r.stdout != id.Hex[:12]+"\n" {
		t.Errorf("images -q = %q, want the ID once", r.stdout)
	}
	if r := imgOK(t, store, "images", "-q", "--no-trunc"); r.stdout != id.String()+"\n" {
		t.Errorf("images -q --no-trunc = %q", r.stdout)
	}
	if r := imgOK(t, store, "images", "-a", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.CreatedSince}}", "other"); r.stdout != "other:2 "+id.Hex[:12]+" 2 weeks ago\n" {
		t.Errorf("images --format = %q", r.stdout)
	}
	r = imgOK(t, store, "images", "--format", "table {{.Repository}}\t{{.Size}}", "other")
	mustMatch(t, "images --format table", r.stdout, `^REPOSITORY +SIZE\nother +[0-9.]+MB\n$`)
	r = imgOK(t, store, "images", "--format", "json")
	var rows []map[string]string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m map[string]string
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("images --format json: %q: %v", l, err)
		}
		rows = append(rows, m)
	}
	if len(rows) != 2 || rows[0]["ID"] != id.Hex[:12] || rows[0]["CreatedSince"] != "2 weeks ago" || rows[0]["CreatedAt"] == "" {
		t.Errorf("images --format json: %v", rows)
	}
	if r := imgMR(t, store, "images", "--format", "{{.Nope"); r.code != exitDocker {
		t.Errorf("a bad template: %+v", r)
	}
}

func TestDockerImagesSaveLoad(t *testing.T) {
	needRoot(t)
	store := t.TempDir()
	imgOK(t, store, "import", rootfs, "rt")
	imgOK(t, store, "tag", "rt", "rt:v2")
	archive := filepath.Join(t.TempDir(), "rt.tar")
	imgOK(t, store, "save", "-o", archive, "rt", "rt:v2")

	// A docker save archive: manifest.json with both tags.
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(archive) })
	if err != nil {
		t.Fatalf("the saved archive: %v", err)
	}
	// go-containerregistry writes the tags of one image in map order.
	if len(m) != 1 || strings.Join(sortedCopy(m[0].RepoTags), ",") != "rt:latest,rt:v2" {
		t.Errorf("manifest.json: %+v", m)
	}

	imgOK(t, store, "rmi", "rt", "rt:v2")
	imgStoreEmpty(t, store)
	r := imgOK(t, store, "load", "-i", archive)
	if got := strings.Join(sortedCopy(strings.Split(strings.TrimSpace(r.stdout), "\n")), "\n"); got != "Loaded image: rt:latest\nLoaded image: rt:v2" {
		t.Errorf("load printed %q", r.stdout)
	}
	if r := imgOK(t, store, "run", "--rm", "--pull", "never", "rt:v2", "echo", "loaded"); r.stdout != "loaded\n" {
		t.Errorf("run of a loaded image: %q", r.stdout)
	}
	// import reads the archive too.
	imgOK(t, store, "import", archive, "fromsave:1")
	if r := imgOK(t, store, "run", "--rm", "--pull", "never", "fromsave:1", "echo", "imported"); r.stdout != "imported\n" {
		t.Errorf("run of an imported save archive: %q", r.stdout)
	}
	// The same archive from stdin, into another store, and with -q.
	other := t.TempDir()
	cmd := exec.Command(minirun, "--store", other, "load", "-q")
	cmd.Stdin, _ = os.Open(archive)
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "Loaded image: rt:v2") {
		t.Errorf("load from stdin: %v %q", err, out)
	}

	// An OCI archive: a tar of an OCI layout naming its image.
	lay := t.TempDir()
	p, err := layout.Write(lay, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(imgRootfsImage(t, "oci"), layout.WithAnnotations(map[string]string{"io.containerd.image.name": "ocitest:1"})); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(t.TempDir(), "oci.tar")
	if out, err := exec.Command("tar", "-C", lay, "-cf", ociTar, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	if r := imgOK(t, store, "load", "-i", ociTar); r.stdout != "Loaded image: ocitest:1\n" {
		t.Errorf("load of an OCI archive printed %q", r.stdout)
	}
	if r := imgOK(t, store, "run", "--rm", "ocitest:1", "cat", "/etc/imgtest"); r.stdout != "oci" {
		t.Errorf("run of a loaded OCI image: %q", r.stdout)
	}
	// import takes the OCI archive too, under the name it is given.
	imgOK(t, store, "import", ociTar, "ocinamed:1")
	if r := imgOK(t, store, "run", "--rm", "ocinamed:1", "cat", "/etc/imgtest"); r.stdout != "oci" {
		t.Errorf("run of an imported OCI archive: %q", r.stdout)
	}
	if ents, _ := os.ReadDir(filepath.Join(store, "tmp")); len(ents) != 0 {
		t.Errorf("load and import left %v in the store's tmp", ents)
	}
	// A rootfs tar is not an archive of images.
	rootTar := filepath.Join(t.TempDir(), "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", rootTar, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	imgOneLine(t, "load of a rootfs tar", imgMR(t, store, "load", "-i", rootTar), "load", "import")
}

func TestDockerImagesPush(t *testing.T) {
	needRoot(t)
	host := imgRegistry(t)
	ref := host + "/mine/rt:1"
	store := t.TempDir()
	imgOK(t, store, "import", rootfs, "rt")
	imgOK(t, store, "tag", "rt", ref)
	r := imgOK(t, store, "push", ref)
	mustContain(t, "push", r.stdout, "The push refers to repository ["+host+"/mine/rt]\n")
	mustMatch(t, "push", r.stdout, `[0-9a-f]{12}: Pushed\n`)
	mustMatch(t, "push", r.stdout, `1: digest: sha256:[0-9a-f]{64} size: [0-9]+\n$`)

	// Elsewhere: run pulls what was pushed.
	r = imgOK(t, t.TempDir(), "run", "--rm", ref, "echo", "pushed")
	if r.stdout != "pushed\n" {
		t.Errorf("run of the pushed image: %q", r.stdout)
	}
	imgOneLine(t, "push of an image not stored", imgMR(t, store, "push", host+"/mine/none:1"), "none")
}

func TestDockerImagesRmiInUse(t *testing.T) {
	needRoot(t)
	store := t.TempDir()
	imgOK(t, store, "import", rootfs, "inuse")
	imgOK(t, store, "run", "--name", "user1", "inuse", "true")
	ctrs, err := os.ReadDir(filepath.Join(store, "containers"))
	if err != nil || len(ctrs) != 1 {
		t.Fatalf("containers after a run: %v %v", ctrs, err)
	}
	ctr := ctrs[0].Name()
	t.Cleanup(func() { imgMR(t, store, "rm", "-f", ctr) })

	imgOneLine(t, "rmi of an image a stopped container uses", imgMR(t, store, "rmi", "inuse"), "container "+ctr[:12], "must force")
	imgOK(t, store, "run", "--rm", "--pull", "never", "inuse", "true") // still there

	// Another name for it may go: the image stays.
	imgOK(t, store, "tag", "inuse", "inuse:2")
	if r := imgOK(t, store, "rmi", "inuse:2"); r.stdout != "Untagged: inuse:2\n" {
		t.Errorf("rmi of a second name: %q", r.stdout)
	}
	// Forced: the name goes, the layers stay as long as the container
	// stacks them.
	if r := imgOK(t, store, "rmi", "-f", "inuse"); r.stdout != "Untagged: inuse:latest\n" {
		t.Errorf("rmi -f: %q", r.stdout)
	}
	var rec struct{ DiffIDs []string }
	data, err := os.ReadFile(filepath.Join(store, "containers", ctr, "layers.json"))
	if err != nil || json.Unmarshal(data, &rec) != nil || len(rec.DiffIDs) == 0 {
		t.Fatalf("the container's layers.json: %s %v", data, err)
	}
	for _, d := range rec.DiffIDs {
		if !exists(filepath.Join(store, "layers/sha256", strings.TrimPrefix(d, "sha256:"), "meta.json")) {
			t.Errorf("rmi -f took layer %s the container stacks", d)
		}
	}
}

func TestDockerImagesImportOrders(t *testing.T) {
	needRoot(t)
	store := t.TempDir()
	r := imgOK(t, store, "import", rootfs, "neworder:1")
	if r.stderr != "" || !regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`).MatchString(r.stdout) {
		t.Errorf("import SRC NAME: %+v", r)
	}
	r = imgOK(t, store, "import", "oldorder:1", rootfs)
	if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "warning") || !strings.Contains(r.stderr, "import "+rootfs+" oldorder:1") {
		t.Errorf("import NAME SRC: want a one-line warning giving Docker's order, got %q", r.stderr)
	}
	for _, n := range []string{"neworder:1", "oldorder:1"} {
		if r := imgOK(t, store, "run", "--rm", "--pull", "never", n, "echo", "ok"); r.stdout != "ok\n" {
			t.Errorf("run %s: %q", n, r.stdout)
		}
	}
	imgOneLine(t, "import of a missing source", imgMR(t, store, "import", "/nonexistent/src.tar", "x"), "/nonexistent/src.tar")
}

// A pull killed halfway through a layer leaves its unpacking in the
// store's tmp/; the next command, whatever it is, takes it away, and the
// next pull works.
func TestDockerImagesKilledPull(t *testing.T) {
	needRoot(t)
	var stall atomic.Bool
	stall.Store(true)
	stuck := make(chan struct{})
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	// While stall is set, a layer's blob comes half way and then no more.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !stall.Load() || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) < 1000 { // the config, not a layer
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		select {
		case <-stuck:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(stuck); srv.Close() })
	ref := strings.TrimPrefix(srv.URL, "http://") + "/test/rootfs:1"
	imgPush(t, ref, imgRootfsImage(t, "v1"))

	store := t.TempDir()
	cmd := exec.Command(minirun, "--store", store, "pull", ref)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(store, "tmp")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the pull never started unpacking a layer")
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if ents, _ := os.ReadDir(tmp); len(ents) == 0 {
		t.Fatal("the killed pull left nothing in tmp/: the test shows nothing")
	}
	imgOK(t, store, "images")
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("the next command left the killed pull's %v in tmp/", ents)
	}
	stall.Store(false)
	if r := imgOK(t, store, "run", "--rm", ref, "cat", "/etc/imgtest"); r.stdout != "v1" {
		t.Errorf("run after the killed pull: %q", r.stdout)
	}
}

// sortedCopy is ss sorted, ss untouched.
func sortedCopy(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}
