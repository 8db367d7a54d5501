package tests

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// readRules makes n rules on read, each with a distinct argument: the
// shape libseccomp takes longest over.
func readRules(n int) []specs.LinuxSyscall {
	rules := make([]specs.LinuxSyscall, n)
	for i := range rules {
		rules[i] = specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: uint64(i), Op: specs.OpEqualTo}}}
	}
	return rules
}

// timedRun is runSpec, failing the test if the refusal was slow: before
// the bounds, compiling 20,000 rules took 19 s before the refusal came.
func timedRun(t *testing.T, bundle string) result {
	t.Helper()
	start := time.Now()
	r := runIn(t, bundle, "")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("refused after %v: the bound was not checked first", d)
	}
	return r
}

func TestBoundsSeccompRulesInConfig(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "echo", "ran")
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: readRules(20000)}
	r := timedRun(t, writeBundle(t, s))
	checkFailure(t, r, exitRunc, "validate config: linux.seccomp: syscalls: 20000 rules, over the limit of 4096")
	noneLeft(t, containerID(t))
}

func TestBoundsSeccompComparisonsInConfig(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "echo", "ran")
	rules := readRules(1000)
	for i := range rules {
		for k := uint(1); k < 6; k++ {
			rules[i].Args = append(rules[i].Args, specs.LinuxSeccompArg{Index: k, Value: 1, Op: specs.OpEqualTo})
		}
	}
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules}
	r := timedRun(t, writeBundle(t, s))
	checkFailure(t, r, exitRunc, "linux.seccomp: syscalls: 6000 comparisons", "over the limit of 4096")
	noneLeft(t, containerID(t))
}

// dockerFrontRefused runs the Docker-style front with a profile file and
// checks the refusal names the file and the bound, and leaves no
// container record.
func dockerFrontRefused(t *testing.T, profile string, want ...string) {
	t.Helper()
	before := len(containerDirs(t))
	start := time.Now()
	r := dockerRun(t, "", "--rm", "--security-opt", "seccomp="+profile, "alpine", "echo", "ran")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("refused after %v", d)
	}
	checkFailure(t, r, exitDocker, append([]string{"seccomp profile", profile}, want...)...)
	if after := len(containerDirs(t)); after != before {
		t.Errorf("%d container records before, %d after", before, after)
	}
	if n := mountsUnder(t, workDir); n != 0 {
		t.Errorf("%d mounts left under %s", n, workDir)
	}
}

func TestBoundsSeccompProfileFile(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	var rules []map[string]any
	for i := 0; i < 20000; i++ {
		rules = append(rules, map[string]any{"names": []string{"read"}, "action": "SCMP_ACT_ERRNO",
			"args": []map[string]any{{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}}})
	}
	body, _ := json.Marshal(map[string]any{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules})
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, body, 0o644)
	dockerFrontRefused(t, big, "syscalls: 20000 rules, over the limit of 4096")

	huge := filepath.Join(dir, "huge.json")
	os.WriteFile(huge, append([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","pad":"`), append(bytes.Repeat([]byte("x"), 4<<20), `"}`...)...), 0o644)
	dockerFrontRefused(t, huge, "bytes, over the limit of 4 MiB")

	deep := filepath.Join(dir, "deep.json")
	os.WriteFile(deep, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`), 0o644)
	dockerFrontRefused(t, deep, "JSON nested deeper than the limit of 64 levels at line 1, column 102")
}

func TestBoundsConfigSize(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "echo", "ran")
	s.Annotations = map[string]string{"pad": strings.Repeat("x", 4<<20)}
	bundle := writeBundle(t, s)
	checkFailure(t, runIn(t, bundle, ""), exitRunc, "load config: "+filepath.Join(bundle, "config.json")+": ", "bytes, over the limit of 4 MiB")
	noneLeft(t, containerID(t))
}

func TestBoundsConfigDepth(t *testing.T) {
	needRoot(t)
	data, _ := json.Marshal(defaultSpec(t, "echo", "ran"))
	// An unknown field: the decoder would skip it, but only after walking
	// its whole depth.
	data = append(data[:len(data)-1], []byte(`,"x":`+strings.Repeat(`{"a":`, 100)+"1"+strings.Repeat("}", 100)+"}")...)
	bundle := t.TempDir()
	os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644)
	checkFailure(t, runIn(t, bundle, ""), exitRunc, "load config:", "JSON nested deeper than the limit of 64 levels")
	noneLeft(t, containerID(t))
}

// importRefused imports a hostile rootfs tar into a new store and checks
// the one-line refusal and that the store holds no image, no layer and no
// half-unpacked directory.
func importRefused(t *testing.T, tarPath string, want ...string) {
	t.Helper()
	store := t.TempDir()
	r := runMinirun(t, "", "--store", store, "import", "hostile", tarPath)
	if r.code != 125 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 125 and one line", r.code, r.stderr)
	}
	for _, w := range append([]string{"image docker.io/library/hostile:latest: layer 1: unpack layer"}, want...) {
		mustContain(t, "import error", r.stderr, w)
	}
	for _, d := range []string{"images", "layers/sha256", "tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(store, d)); len(ents) != 0 {
			t.Errorf("%s holds %d entries after a refused import", d, len(ents))
		}
	}
}

func writeTarFile(t *testing.T, hdrs ...*tar.Header) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "layer.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBoundsLayerPaths(t *testing.T) {
	needRoot(t)
	ok := &tar.Header{Name: "etc/ok", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3}
	long := strings.Repeat("d/", 2100) + "f"
	importRefused(t, writeTarFile(t, ok, &tar.Header{Name: long, Typeflag: tar.TypeReg, Mode: 0o644}),
		"path of 4201 bytes, over the limit of 4096")
	importRefused(t, writeTarFile(t, ok, &tar.Header{Name: "etc/" + strings.Repeat("n", 300), Typeflag: tar.TypeReg, Mode: 0o644}),
		"name of 300 bytes, over the limit of 255")
}

// The layer declares 32 GiB of content that is a hole in a sparse file:
// the bound must refuse it on the header, before reading the content.
func TestBoundsLayerBytes(t *testing.T) {
	needRoot(t)
	p := filepath.Join(t.TempDir(), "layer.tar")
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	tw.WriteHeader(&tar.Header{Name: "etc/ok", Typeflag: tar.TypeReg, Mode: 0o644, Size: 512})
	tw.Write(make([]byte, 512))
	const size = 32 << 30
	tw.WriteHeader(&tar.Header{Name: "huge", Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
	if err := os.WriteFile(p, hdr.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The content, then the two zero blocks that end the archive.
	if err := os.Truncate(p, int64(hdr.Len())+size+1024); err != nil {
		t.Fatal(err)
	}
	importRefused(t, p, `entry "huge": 34359738368 bytes would take the layer past the limit of 32 GiB`)
}

// 1Mi+1 entries that create nothing (aufs bookkeeping names), gzipped so
// the test writes a few MiB rather than 512 MiB.
func TestBoundsLayerEntries(t *testing.T) {
	needRoot(t)
	if testing.Short() {
		t.Skip("writes and reads a million tar headers")
	}
	p := filepath.Join(t.TempDir(), "layer.tar.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for i := 0; i <= 1<<20; i++ {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf(".wh..wh.%d", i), Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatUSTAR}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, zw} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	bw.Flush()
	f.Close()
	importRefused(t, p, "more than 1048576 entries, over the limit")
}

func TestBoundsStateRoot(t *testing.T) {
	needRoot(t)
	// The suite's own root, made by minirun, passes the check: every other
	// test runs under it. It must be what a new root is made as.
	if fi, err := os.Stat(os.Getenv("MINIRUN_ROOT")); err == nil && fi.Mode().Perm()&0o022 != 0 {
		t.Errorf("the suite's state root is %04o", fi.Mode().Perm())
	}
	root := filepath.Join(t.TempDir(), "state")
	bundle := writeBundle(t, defaultSpec(t, "echo", "ran"))
	id := containerID(t)
	r := runMinirun(t, "", "--root", root, "run", "-b", bundle, id)
	if r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("run with a new root: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if fi, err := os.Stat(root); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("new state root: %v, mode %v; want 0700", err, fi.Mode())
	}
	os.Chmod(root, 0o777)
	r = runMinirun(t, "", "--root", root, "run", "-b", bundle, id)
	checkFailure(t, r, exitRunc, "state root "+root+": mode 0777 lets group or others write it")
	if _, err := os.Stat(filepath.Join(root, id)); err == nil {
		t.Errorf("a container directory was made in an untrusted root")
	}
	for _, cmd := range [][]string{{"list"}, {"state", id}} {
		r = runMinirun(t, "", append([]string{"--root", root}, cmd...)...)
		if r.code != exitRunc || !strings.Contains(r.stderr, "lets group or others write it") {
			t.Errorf("%v in an untrusted root: exit %d, %q", cmd, r.code, r.stderr)
		}
	}
	os.Chmod(root, 0o700)
	os.Chown(root, 65534, 65534)
	r = runMinirun(t, "", "--root", root, "run", "-b", bundle, id)
	checkFailure(t, r, exitRunc, "state root "+root+": owned by uid 65534, not by the caller (uid 0)")
	for cg := range minirunCgroups() {
		if strings.Contains(cg, id) {
			t.Errorf("cgroup left behind: %s", cg)
		}
	}
}
