// Package tests runs real containers on a busybox rootfs, most of them as
// root. A test that needs root says so in its first statement, needRoot(t)
// or a variant named for what else it needs, and without root skips with
// a message saying so; the few that need only the minirun binary start
// with needMinirun(t) and run as any user.
//
// The harness is what more than one test file uses; a helper that only
// one file uses stays in that file.
//   - harness_test.go: the suite's set-up (TestMain), root gating, running
//     minirun, specs and bundles, container state, assertions.
//   - harness_host_test.go: what the host shows: the "nothing left" check,
//     mounts, cgroups, processes, what a store holds.
//   - harness_fixtures_test.go: what tests plant: the Docker-front stores
//     and images, the seccomp probes, numbers and profiles, hooks, rootless
//     users and the programs they run, the sealed-binary check.
package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/docker"
)

// The suite: its binary, its rootfs and its set-up.

var (
	minirun string // the binary under test
	rootfs  string // shared busybox rootfs, never written by the tests
	workDir string
)

// childEnv marks this test binary re-run by a test to do one thing in a
// namespace of its own; it then needs none of the suite's set-up.
const childEnv = "MINIRUN_TEST_CHILD"

// TestMain builds what the suite needs and runs the tests. Only root
// builds anything: without root each test that needs it skips itself, and
// the root-free ones run the binary MINIRUN_BIN names, if any.
func TestMain(m *testing.M) {
	// api_test.go runs containers through the Go API, whose inits are
	// re-executions of this test binary.
	docker.Init()
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run())
	}
	if os.Geteuid() != 0 {
		fmt.Println("tests: skipping integration tests: they run real containers and need root")
		minirun = os.Getenv("MINIRUN_BIN") // for the root-free ones (needMinirun)
		os.Exit(m.Run())                   // each test skips itself too
	}
	if os.Getenv(netnsEnv) == "" {
		os.Exit(inOwnNetns())
	}
	os.Exit(setup(m))
}

// netnsEnv marks the suite re-run in a network namespace of its own.
// Containers of the Docker-style front get a bridge, veths and NAT rules
// by default, as Docker's; made in the host's namespace they would touch
// the host's interfaces and firewall, which no test may. So the suite,
// whoever starts it, runs where those live and die with it.
const netnsEnv = "MINIRUN_TEST_NETNS"

// inOwnNetns runs this test binary again, with the same arguments, in a
// new network namespace with lo up, and returns its exit status.
func inOwnNetns() int {
	// A mount namespace too, with a tmpfs where containers' network
	// namespaces are bound: one a failed test leaves goes with the suite.
	script := `ip link set lo up && mkdir -p /run/minirun/netns && mount -t tmpfs tmpfs /run/minirun/netns && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"--net", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "tests: a network namespace for the suite:", err)
		return 1
	}
	return 0
}

// setup builds minirun (unless MINIRUN_BIN names one), minirun-init and
// the rootfs in a fresh workDir, gives the run its own state and seccomp
// cache directories there, runs the tests, and fails the run if they left
// a mount under workDir or a cgroup under /minirun.
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
		// The init program twice: in pure Go, and with cgo and the C
		// pre-main (minirun-init-nsenter).
		for _, b := range []struct{ name, cgo string }{{"minirun-init", "0"}, {"minirun-init-nsenter", "1"}} {
			build := exec.Command("go", "build", "-tags", "osusergo,netgo", "-ldflags", "-extldflags=-static", "-o", filepath.Join(workDir, b.name), "../cmd/minirun-init")
			build.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
			build.Stdout, build.Stderr = os.Stdout, os.Stderr
			if err := build.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "tests: build %s: %v\n", b.name, err)
				return 1
			}
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

// Root gating: the first statement of a test that needs something.

// needRoot is the first statement of every test that needs root; without
// it the test skips, saying so. A helper that needs root may check again
// as a defence, but the test says it first.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs a real container")
	}
}

// needMinirun is the first statement of a root-free test that runs the
// binary under test: the suite builds it only as root, so another user
// gets one only through MINIRUN_BIN.
func needMinirun(t *testing.T) {
	t.Helper()
	if minirun == "" {
		t.Skip("no minirun binary: the suite builds it only as root (or set MINIRUN_BIN)")
	}
}

// rootFree names the tests that need neither root nor the binary, and
// why; TestRootGatingIsExplicit lets them start as they like.
var rootFree = map[string]string{
	"TestRootGatingIsExplicit": "reads this package's source",
	"TestRootlessCases":        "run by TestRootless as an unprivileged user, and skips otherwise",
}

// Every test's first statement says what it needs: needRoot(t), a
// variant named needRootAnd...(t), or needMinirun(t). A reader sees it
// at the top, and a run without root skips it with a reason; a check
// inside a helper is a defence, never the only gate.
func TestRootGatingIsExplicit(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("list the package's test files: %v (%d found)", err, len(files))
	}
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !strings.HasPrefix(fd.Name.Name, "Test") || fd.Name.Name == "TestMain" {
				continue
			}
			n++
			if _, ok := rootFree[fd.Name.Name]; ok || gatedTest(fd) {
				continue
			}
			t.Errorf("%s: %s does not start with needRoot(t), needRootAnd...(t) or needMinirun(t)", fset.Position(fd.Pos()), fd.Name.Name)
		}
	}
	if n < len(rootFree) {
		t.Fatalf("found %d tests in %v", n, files)
	}
}

// gatedTest reports whether fd's first statement is a call of a gate
// on its *testing.T.
func gatedTest(fd *ast.FuncDecl) bool {
	if len(fd.Body.List) == 0 || len(fd.Type.Params.List) != 1 || len(fd.Type.Params.List[0].Names) != 1 {
		return false
	}
	es, ok := fd.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return false
	}
	fn, ok1 := call.Fun.(*ast.Ident)
	arg, ok2 := call.Args[0].(*ast.Ident)
	if !ok1 || !ok2 || arg.Name != fd.Type.Params.List[0].Names[0].Name {
		return false
	}
	return fn.Name == "needRoot" || fn.Name == "needMinirun" || strings.HasPrefix(fn.Name, "needRootAnd")
}

// requireHostDevices skips a device test on a host without the devices
// its probe opens.
func requireHostDevices(t *testing.T) {
	t.Helper()
	for _, p := range []string{"/dev/loop0", "/dev/hwrng"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("host lacks %s, which the probe needs to tell EPERM from ENXIO: %v", p, err)
		}
	}
}

// Running minirun.

// result is what one run of a binary printed, and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// The exit statuses minirun fails with, by the contract the command line
// is in (docs/cli.md, cmd/internal/cmdline/exitstatus.go): runc's commands as
// runc v1.1.5 exits, the Docker-style ones and minirun's own as Docker.
const (
	exitRunc     = 1   // a runc command failed
	exitRuncExec = 255 // runc's exec could not run the process
	exitDocker   = 125 // a Docker-style command failed before the command ran
)

// runMinirun runs the binary under test with args, stdin on its standard
// input ("" for none), and returns what it printed and its exit code; only
// a failure to start it fails the test.
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

// runMinirunWithin is runMinirun that fails the test after d.
func runMinirunWithin(t *testing.T, d time.Duration, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, minirun, args...)
	var out, errb bytes.Buffer
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("minirun %v did not end within %v (stdout %q, stderr %q)", args, d, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("minirun %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// runIn runs `minirun EXTRA... run -b BUNDLE ID`, ID the test's
// containerID.
func runIn(t *testing.T, bundle, stdin string, extra ...string) result {
	t.Helper()
	args := append(append([]string{}, extra...), "run", "-b", bundle, containerID(t))
	return runMinirun(t, stdin, args...)
}

// runSpec runs s with `minirun run -b` and returns what it printed.
func runSpec(t *testing.T, s *specs.Spec, stdin string, extra ...string) result {
	t.Helper()
	return runIn(t, writeBundle(t, s), stdin, extra...)
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

// mr runs minirun and fails the test unless it exits 0.
func mr(t *testing.T, args ...string) string {
	t.Helper()
	r := runMinirun(t, "", args...)
	if r.code != 0 {
		t.Fatalf("minirun %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// mrDetached runs a command that leaves a container (or a process in it)
// behind: create, run -d, exec -d. The container inherits minirun's
// stdio, so pipes would never reach EOF; it gets files instead.
func mrDetached(t *testing.T, args ...string) {
	t.Helper()
	if err := runMinirunDetached(t, args...); err != nil {
		t.Fatalf("minirun %v: %v", args, err)
	}
}

// runMinirunDetached is mrDetached that returns the failure, with what
// minirun printed.
func runMinirunDetached(t *testing.T, args ...string) error {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(minirun, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		data, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%v: %s", err, data)
	}
	return nil
}

// Specs and bundles.

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

// rootlessSpec is `minirun spec --rootless`, run by the caller, pointed at
// the shared rootfs.
func rootlessSpec(t *testing.T, args ...string) *specs.Spec {
	t.Helper()
	return specOf(t, []string{"--rootless"}, args...)
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

// privateRootfs copies the shared rootfs so a test can plant things in it.
func privateRootfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", rootfs, dir).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v %s", err, out)
	}
	return dir
}

// writableSpec is defaultSpec on a private copy of the rootfs, for
// containers that write to it: the shared rootfs must stay as built.
func writableSpec(t *testing.T, args ...string) *specs.Spec {
	t.Helper()
	s := defaultSpec(t, args...)
	s.Root.Path = privateRootfs(t)
	return s
}

// outDir binds a fresh host directory at /out in the container.
func outDir(t *testing.T, s *specs.Spec) string {
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/out", Type: "bind", Source: dir, Options: []string{"rbind"}})
	return dir
}

// Containers: ids, state, clean-up.

// containerID is the test's container id: its name in lower case, with
// slashes and blanks as dashes, so each (sub)test has its own.
func containerID(t *testing.T) string {
	return strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(t.Name()))
}

// stateRoot is the --root every test here uses (TestMain's MINIRUN_ROOT).
func stateRoot() string { return os.Getenv("MINIRUN_ROOT") }

// ociState is what `minirun state` prints: the OCI state and the time the
// container was created.
type ociState struct {
	specs.State
	Created time.Time `json:"created"`
}

// stateOf is `minirun state ID`, which must succeed.
func stateOf(t *testing.T, id string) ociState {
	t.Helper()
	var st ociState
	if err := json.Unmarshal([]byte(mr(t, "state", id)), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// wantStatus waits up to 5 s for container id to have status want, fails
// the test if it never does, and returns the state.
func wantStatus(t *testing.T, id string, want specs.ContainerState) ociState {
	t.Helper()
	var st ociState
	deadline := time.Now().Add(5 * time.Second)
	for {
		st = stateOf(t, id)
		if st.Status == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.Status != want {
		t.Fatalf("status %q, want %q", st.Status, want)
	}
	return st
}

// statePid is the host pid of container id's init, from `minirun state`;
// an unprivileged caller can use it on its own containers.
func statePid(t *testing.T, id string) int {
	t.Helper()
	r := runMinirun(t, "", "state", id)
	var st specs.State
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Pid <= 0 {
		t.Fatalf("state %s: %+v: %v", id, r, err)
	}
	return st.Pid
}

// createContainer runs `create` and makes sure the container is deleted
// when the test ends, whatever happened.
func createContainer(t *testing.T, s *specs.Spec, extra ...string) (id, bundle string) {
	t.Helper()
	id, bundle = containerID(t), writeBundle(t, s)
	args := append([]string{"create", "--bundle", bundle}, extra...)
	mrDetached(t, append(args, id)...)
	t.Cleanup(func() { cleanUp(t, id) })
	return id, bundle
}

// cleanUp deletes a container a test may have left; "does not exist" is
// the normal case.
func cleanUp(t *testing.T, id string) {
	if r := runMinirun(t, "", "delete", "--force", id); r.code != 0 && !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("cleanup: delete --force %s: %s", id, r.stderr)
	}
}

// waitFile waits up to 5 s for path to exist and hold something, and
// returns what it holds; the test fails if it never does.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
			return string(data)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

// Assertions on what minirun printed.

// checkFailure asserts a start failure: exit code (exitRunc for runc's
// commands, exitDocker for the Docker-style ones), one line on stderr
// naming every want, and nothing of the container's on stdout.
func checkFailure(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("want one line of error, got %q", r.stderr)
	}
	for _, w := range want {
		mustContain(t, "error", r.stderr, w)
	}
	if r.stdout != "" {
		t.Errorf("the container's command ran: stdout %q", r.stdout)
	}
}

// mustContain fails the test unless got contains want; what names got.
func mustContain(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: %q does not contain %q", what, got, want)
	}
}

// mustMatch records an error unless got matches the regular expression
// pattern; what names got.
func mustMatch(t *testing.T, what, got, pattern string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(got) {
		t.Errorf("%s:\n got %s\nwant /%s/", what, got, pattern)
	}
}

// squeeze collapses runs of blanks, as uid_map pads its columns.
func squeeze(s string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		b.WriteString(strings.Join(strings.Fields(sc.Text()), " ") + "\n")
	}
	return b.String()
}
