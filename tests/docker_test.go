package tests

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
)

func TestDockerSeedScenes(t *testing.T) {
	needRoot(t)
	deny := filepath.Join(t.TempDir(), "deny.json")
	os.WriteFile(deny, []byte(`{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[]}`), 0o644)
	r := dockerRun(t, "", "--rm", "--security-opt", "seccomp="+deny, "alpine", "sh", "-c", "echo started")
	checkFailure(t, r, exitDocker, "seccomp", "execve")

	r = dockerRun(t, "unshare\n", "--rm", "-i", "alpine", "sh")
	if r.code != 1 || r.stderr != "unshare: unshare(0x0): Operation not permitted\n" {
		t.Fatalf("default profile: %+v", r)
	}
	r = dockerRun(t, "whoami\nunshare --user whoami\n", "--rm", "-i", "--security-opt", "seccomp=unconfined", "alpine", "sh")
	if r.code != 0 || r.stdout != "root\nnobody\n" {
		t.Fatalf("unconfined: %+v", r)
	}
}

func TestDockerSecurityOptions(t *testing.T) {
	needRoot(t)
	status := []string{"grep", "-E", "^(CapEff|NoNewPrivs|Seccomp):", "/proc/self/status"}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "CapEff:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n"},
		{[]string{"--security-opt", "seccomp=builtin"}, "CapEff:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n"},
		{[]string{"--security-opt", "no-new-privileges"}, "CapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n"},
		{[]string{"--security-opt", "no-new-privileges=false", "--security-opt", "seccomp=unconfined"}, "CapEff:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t0\n"},
		{[]string{"--cap-drop", "ALL"}, "CapEff:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\n"},
		{[]string{"--cap-drop", "all", "--cap-add", "cap_kill", "--cap-add", "Chown"}, "CapEff:\t0000000000000021\nNoNewPrivs:\t0\nSeccomp:\t2\n"},
		{[]string{"--cap-drop", "NET_RAW", "--cap-drop", "mknod"}, "CapEff:\t00000000a00405fb\nNoNewPrivs:\t0\nSeccomp:\t2\n"},
	} {
		r := dockerRun(t, "", append(append(append([]string{"--rm"}, tc.flags...), "alpine"), status...)...)
		if r.stdout != tc.want {
			t.Errorf("%v: got %q (%s), want %q", tc.flags, r.stdout, r.stderr, tc.want)
		}
	}
	r := dockerRun(t, "", "--rm", "--cap-add", "NOPE", "alpine", "true")
	checkFailure(t, r, exitDocker, "--cap-add", "NOPE")
	r = dockerRun(t, "", "--rm", "--security-opt", "seccomp=/nonexistent.json", "alpine", "true")
	checkFailure(t, r, exitDocker, "seccomp", "/nonexistent.json")
	r = dockerRun(t, "", "--rm", "--security-opt", "bogus=1", "alpine", "true")
	checkFailure(t, r, exitDocker, "bogus")
}

// --cap-add SYS_ADMIN also unlocks the syscalls Docker's profile ties to it.
func TestDockerCapAddResolvesProfile(t *testing.T) {
	needRoot(t)
	r := dockerRun(t, "", "--rm", "--cap-add", "SYS_ADMIN", "alpine", "unshare", "--uts", "hostname", "inner")
	if r.code != 0 {
		t.Fatalf("unshare with SYS_ADMIN: %+v", r)
	}
}

func TestDockerPrivileged(t *testing.T) {
	needRoot(t)
	r := dockerRun(t, "", "--rm", "--privileged", "alpine", "sh", "-c",
		"grep -E '^(CapEff|Seccomp):' /proc/self/status; grep -c ' /proc/keys ' /proc/mounts; test -e /dev/kmsg && echo devices")
	if !strings.Contains(r.stdout, "Seccomp:\t0\n") || !strings.Contains(r.stdout, "\n0\n") || !strings.Contains(r.stdout, "devices") {
		t.Fatalf("privileged: %+v", r)
	}
	if strings.Contains(r.stdout, "CapEff:\t00000000a80425fb") {
		t.Fatal("privileged kept the default capabilities")
	}
	deny := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(deny, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod","fchmodat","fchmodat2"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644)
	r = dockerRun(t, "", "--rm", "--privileged", "--security-opt", "seccomp="+deny, "alpine", "sh", "-c", "grep Seccomp: /proc/self/status; chmod 600 /tmp")
	if !strings.Contains(r.stdout, "Seccomp:\t2") || r.code == 0 {
		t.Fatalf("explicit profile under --privileged not applied: %+v", r)
	}
}

func TestDockerFlags(t *testing.T) {
	needRoot(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("hostfile\n"), 0o644)
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\n"), 0o644)
	r := dockerRun(t, "", "--rm", "-e", "A=1", "--env-file", envFile, "-v", host+":/data:ro", "-w", "/data",
		"-u", "nobody", "--hostname", "h1", "--ulimit", "nofile=512:600", "alpine", "sh", "-c",
		`echo $A $FROM_FILE; pwd; cat f; id -u; hostname; cat /etc/hostname; ulimit -n; touch /data/x 2>/dev/null || echo ro`)
	want := "1 yes\n/data\nhostfile\n65534\nh1\nh1\n512\nro\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("got %+v, want %q", r, want)
	}
	r = dockerRun(t, "", "--rm", "--read-only", "alpine", "sh", "-c", "touch /x 2>&1")
	mustContain(t, "--read-only", r.stdout, "Read-only file system")
	r = dockerRun(t, "", "--rm", "--entrypoint", "echo", "alpine", "from", "entrypoint")
	if r.stdout != "from entrypoint\n" {
		t.Fatalf("--entrypoint: %+v", r)
	}
	r = dockerRun(t, "", "--rm", "--network", "none", "alpine", "sh", "-c", "ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-ok")
	if r.stdout != "lo\nlo-ok\n" {
		t.Fatalf("--network none: %+v", r)
	}
	// The test's own network namespace (the suite's, TestMain), through
	// /proc: /sys/class/net shows the namespace sysfs was mounted in.
	// Read after the run: a bridge an earlier run made may appear late.
	r = dockerRun(t, "", "--rm", "--network", "host", "alpine", "sh", "-c", "tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' '")
	netDev, _ := exec.Command("sh", "-c", "tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' '").Output()
	if r.code != 0 || r.stdout != string(netDev) {
		t.Fatalf("--network host sees %q, the host has %q", r.stdout, netDev)
	}
	r = dockerRun(t, "", "--rm", "--bogus-flag", "alpine", "true")
	if r.code != 125 {
		t.Fatalf("unknown flag: %+v", r)
	}
}

func TestDockerStdin(t *testing.T) {
	needRoot(t)
	r := dockerRun(t, "hello\n", "--rm", "-i", "alpine", "cat")
	if r.stdout != "hello\n" {
		t.Fatalf("-i: %+v", r)
	}
	r = dockerRun(t, "hello\n", "--rm", "alpine", "cat")
	if r.stdout != "" || r.code != 0 {
		t.Fatalf("without -i stdin must be empty: %+v", r)
	}
}

func TestDockerExitCodes(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--rm", "alpine", "sh", "-c", "exit 3"}, 3},
		{[]string{"--rm", "no-such-image"}, 125},
		{[]string{"--rm", "alpine", "/etc/passwd"}, 126},
		{[]string{"--rm", "alpine", "no-such-command"}, 127},
	} {
		if r := dockerRun(t, "", tc.args...); r.code != tc.want {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, r.code, tc.want, r.stderr)
		}
	}
	r := dockerRun(t, "", "--rm", "no-such-image")
	checkFailure(t, r, exitDocker, "no-such-image")
}

func TestDockerCopyOnWriteAndRm(t *testing.T) {
	needRoot(t)
	before := containerDirs(t)
	r := dockerRun(t, "", "--name", "cow1", "alpine", "sh", "-c", "echo data > /written; cat /written")
	if r.stdout != "data\n" {
		t.Fatalf("%+v", r)
	}
	if len(containerDirs(t)) != len(before)+1 {
		t.Fatal("without --rm the container must stay until rm")
	}
	r = dockerRun(t, "", "--name", "cow1", "alpine", "true")
	checkFailure(t, r, exitDocker, "cow1", "already in use")
	r = dockerRun(t, "", "--rm", "alpine", "sh", "-c", "test -e /written && echo leaked || echo clean")
	if r.stdout != "clean\n" {
		t.Fatalf("a write leaked into the image: %+v", r)
	}
	if out, err := exec.Command(minirun, "--store", storeDir, "rm", "cow1").CombinedOutput(); err != nil {
		t.Fatalf("rm: %v %s", err, out)
	}
	if got := containerDirs(t); len(got) != len(before) {
		t.Fatalf("containers left: %v", got)
	}
	if n := mountsUnder(t, storeDir); n != 0 {
		t.Fatalf("%d mounts left under the store", n)
	}
}

func TestDockerSignalForwarding(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // make sure the store exists
	cmd := exec.Command(minirun, "--store", storeDir, "run", "--rm", "alpine", "sh", "-c",
		`trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done`)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("container did not start: %q", sc.Text())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() {
		sc.Scan()
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if sc.Text() != "got TERM" {
			t.Errorf("trap output %q", sc.Text())
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 42 {
			t.Fatalf("exit %v, want 42", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("TERM never reached the container")
	}
}

// -t gives the container a real terminal in its own devpts, sized like
// the caller's.
func TestDockerTTY(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // make sure the store exists
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Skipf("no pty on this host: %v", err)
	}
	defer master.Close()
	if err := master.Resize(console.WinSize{Height: 30, Width: 100}); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(minirun, "--store", storeDir, "run", "--rm", "-it", "alpine", "sh", "-c", "tty; stty size; echo TERM=$TERM")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var out strings.Builder
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			out.Write(buf[:n])
			if err != nil || strings.Contains(out.String(), "TERM=xterm") {
				close(done)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
	cmd.Wait()
	got := strings.ReplaceAll(out.String(), "\r", "")
	for _, want := range []string{"/dev/pts/0\n", "30 100\n", "TERM=xterm"} {
		mustContain(t, "tty output", got, want)
	}
}

// -d starts the container in the background, registered under --root like
// any runc-style container; rm refuses a running one without -f.
func TestDockerDetachAndRm(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // make sure the store exists
	r := dockerRun(t, "", "-d", "--name", "bg1", "alpine", "sh", "-c", "echo started; sleep 30")
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 {
		t.Fatalf("-d: %+v", r)
	}
	st := runMinirun(t, "", "state", id)
	mustContain(t, "state", st.stdout, `"status": "running"`)
	rm := runMinirun(t, "", "--store", storeDir, "rm", "bg1")
	checkFailure(t, rm, exitDocker, "is running", "--force")
	rm = runMinirun(t, "", "--store", storeDir, "rm", "-f", "bg1")
	if rm.code != 0 {
		t.Fatalf("rm -f: %+v", rm)
	}
	if st := runMinirun(t, "", "state", id); st.code == 0 {
		t.Fatalf("state survived rm -f: %+v", st)
	}
	for _, d := range containerDirs(t) {
		if d == id {
			t.Fatal("container directory survived rm -f")
		}
	}
	r = dockerRun(t, "", "-d", "--rm", "alpine", "true")
	checkFailure(t, r, exitDocker, "--rm with -d")
}

// The container's terminal follows the caller's when it is resized.
func TestDockerTTYFollowsWindowSize(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // make sure the store exists
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Skipf("no pty on this host: %v", err)
	}
	defer master.Close()
	master.Resize(console.WinSize{Height: 24, Width: 80})
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(minirun, "--store", storeDir, "run", "--rm", "-it", "alpine", "sh", "-c",
		`trap 'stty size; exit 0' WINCH; stty size; echo ready; while :; do sleep 0.05; done`)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	exited := make(chan error, 1)
	defer func() {
		// The trap makes the container exit; let minirun clean up after it
		// rather than kill it half way through (that leaves a cgroup and
		// an overlay behind).
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("minirun did not exit after the container did")
		}
	}()
	var out strings.Builder
	lines := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			out.Write(buf[:n])
			lines <- out.String()
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	go func() { exited <- cmd.Wait() }()
	wait := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s, ok := <-lines:
				if strings.Contains(s, want) {
					return
				}
				if !ok {
					t.Fatalf("output ended without %q: %q", want, s)
				}
			case <-deadline:
				t.Fatalf("no %q in %q", want, out.String())
			}
		}
	}
	wait("ready")
	// Resizing our end makes the kernel send SIGWINCH to minirun, the
	// foreground process of this terminal.
	master.Resize(console.WinSize{Height: 40, Width: 120})
	wait("40 120")
}
