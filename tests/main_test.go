// Package tests runs real containers as root on a busybox rootfs. Every
// test here needs root; without it they skip with a message saying so.
package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/docker"
)

var (
	minirun string // the binary under test
	rootfs  string // shared busybox rootfs, never written by the tests
	workDir string
)

// childEnv marks this test binary re-run by a test to do one thing in a
// namespace of its own; it then needs none of the suite's set-up.
const childEnv = "MINIRUN_TEST_CHILD"

func TestMain(m *testing.M) {
	// api_test.go runs containers through the Go API, whose inits are
	// re-executions of this test binary.
	docker.Init()
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run())
	}
	if os.Geteuid() != 0 {
		fmt.Println("tests: skipping integration tests: they run real containers and need root")
		os.Exit(m.Run()) // each test skips itself too
	}
	os.Exit(setup(m))
}

func setup(m *testing.M) int {
	var err error
	workDir, err = os.MkdirTemp("", "minirun-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Containers with a user namespace run as an unprivileged host uid,
	// which must be able to reach the rootfs.
	os.Chmod(workDir, 0o755)
	defer os.RemoveAll(workDir)
	minirun = os.Getenv("MINIRUN_BIN")
	if minirun == "" {
		minirun = filepath.Join(workDir, "minirun")
		// Both programs side by side, as `make build` puts them: minirun
		// hands its Docker-style commands to minirun-docker. Static, as
		// `make build` makes them: a dynamic runtime binary would load
		// libraries from the container when run inside it.
		for _, prog := range []string{"minirun", "minirun-docker"} {
			build := exec.Command("go", "build", "-tags", "osusergo,netgo,urfave_cli_no_docs", "-ldflags", "-extldflags=-static",
				"-o", filepath.Join(workDir, prog), "../cmd/"+prog)
			build.Stdout, build.Stderr = os.Stdout, os.Stderr
			if err := build.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "tests: build %s: %v\n", prog, err)
				return 1
			}
		}
		build := exec.Command("go", "build", "-tags", "osusergo,netgo", "-o", filepath.Join(workDir, "minirun-init"), "../cmd/minirun-init")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "tests: build minirun-init:", err)
			return 1
		}
	}
	rootfs = filepath.Join(workDir, "rootfs")
	if out, err := exec.Command("./mkrootfs.sh", rootfs).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "tests: build rootfs: %v\n%s", err, out)
		return 1
	}
	// Each run of the suite gets its own state and cache directories, so
	// the tests see exactly what they caused.
	os.Setenv("MINIRUN_ROOT", filepath.Join(workDir, "state"))
	os.Setenv("MINIRUN_SECCOMP_CACHE", filepath.Join(workDir, "seccomp-cache"))
	cgBefore := minirunCgroups()
	code := m.Run()
	// Whatever a test did, the suite as a whole must leave no mount and no
	// cgroup behind: that is the "nothing left behind" promise.
	if n := mountsUnderDir(workDir); n != 0 {
		fmt.Fprintf(os.Stderr, "tests: %d mounts left under %s\n", n, workDir)
		code = 1
	}
	for cg := range minirunCgroups() {
		if !cgBefore[cg] {
			fmt.Fprintf(os.Stderr, "tests: cgroup left behind: %s\n", cg)
			code = 1
		}
	}
	return code
}

// minirunCgroups lists the cgroup directories under /minirun in every v1
// hierarchy and the v2 one.
func minirunCgroups() map[string]bool {
	out := map[string]bool{}
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/minirun/*")
	more, _ := filepath.Glob("/sys/fs/cgroup/minirun/*")
	for _, d := range append(dirs, more...) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out[d] = true
		}
	}
	return out
}

func mountsUnderDir(dir string) int {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			n++
		}
	}
	return n
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs a real container")
	}
}

// defaultSpec is what `minirun spec --docker` writes, pointed at the shared rootfs.
func defaultSpec(t *testing.T, args ...string) *specs.Spec {
	t.Helper()
	return specOf(t, nil, args...)
}

// specOf is what `minirun spec --docker FLAGS` writes, on the suite's rootfs, with
// args as the process's when given.
func specOf(t *testing.T, flags []string, args ...string) *specs.Spec {
	t.Helper()
	s := specWritten(t, append([]string{"--docker"}, flags...)...)
	if len(args) > 0 {
		s.Process.Args = args
	}
	return s
}

// specWritten is what `minirun spec FLAGS` writes, on the suite's rootfs.
func specWritten(t *testing.T, flags ...string) *specs.Spec {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command(minirun, append(append([]string{"spec"}, flags...), "-b", dir)...).CombinedOutput(); err != nil {
		t.Fatalf("minirun spec %v: %v\n%s", flags, err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	s.Root.Path = rootfs
	return &s
}

// writeBundle writes s as config.json in a new bundle directory.
func writeBundle(t *testing.T, s *specs.Spec) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type result struct {
	stdout, stderr string
	code           int
}

// runSpec runs s with `minirun run -b` and returns what it printed.
func runSpec(t *testing.T, s *specs.Spec, stdin string, extra ...string) result {
	t.Helper()
	return runIn(t, writeBundle(t, s), stdin, extra...)
}

func runIn(t *testing.T, bundle, stdin string, extra ...string) result {
	t.Helper()
	args := append(append([]string{}, extra...), "run", "-b", bundle, containerID(t))
	return runMinirun(t, stdin, args...)
}

func runMinirun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runBinary(t, minirun, stdin, args...)
}

// runBinary is runMinirun for another copy of the binary.
func runBinary(t *testing.T, bin, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	if stdin == "" {
		cmd.Stdin = nil
	}
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("minirun %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func containerID(t *testing.T) string {
	return strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(t.Name()))
}

// mountsUnder counts host mounts whose mount point is below dir.
func mountsUnder(t *testing.T, dir string) int {
	t.Helper()
	return mountsUnderDir(dir)
}

// childrenOf lists the live processes whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var p int
		if _, err := fmt.Sscanf(e.Name(), "%d", &p); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name may hold spaces; fields resume after ')'.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		var ppid int
		if len(fields) > 1 {
			fmt.Sscanf(fields[1], "%d", &ppid)
		}
		if ppid == pid {
			out = append(out, p)
		}
	}
	return out
}

func mustContain(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: %q does not contain %q", what, got, want)
	}
}

// startSpec starts s in the background and returns once the container's
// first process has exec'd, with that process's host pid. The container is
// killed when the test ends.
func startSpec(t *testing.T, s *specs.Spec, extra ...string) (*exec.Cmd, int) {
	t.Helper()
	bundle := writeBundle(t, s)
	cmd := exec.Command(minirun, append(append([]string{}, extra...), "run", "-b", bundle, containerID(t))...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	want := filepath.Base(s.Process.Args[0])
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, pid := range childrenOf(cmd.Process.Pid) {
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if strings.TrimSpace(string(comm)) == want {
				return cmd, pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("container process %q never appeared", want)
	return nil, 0
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
