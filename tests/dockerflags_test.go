package tests

// exec's Docker form (-i, -t, -it, -d, -w, -u, -e, --env-file,
// --privileged, by name or short id) and run's everyday flags (--init,
// --label, --sysctl, --ipc, --pid, --userns, --device, --platform, -h).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"

	"github.com/minirun/minirun/docker"
)

// dockerDetached starts `run -d --name NAME ARGS...` in dockerRun's store
// and returns the container's id; it is removed when the test ends.
func dockerDetached(t *testing.T, name string, args ...string) string {
	t.Helper()
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	runMinirun(t, "", "--store", storeDir, "rm", "-f", name)
	r := dockerRun(t, "", append([]string{"-d", "--name", name}, args...)...)
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 {
		t.Fatalf("run -d --name %s: %+v", name, r)
	}
	t.Cleanup(func() { runMinirun(t, "", "--store", storeDir, "rm", "-f", name) })
	return id
}

// dmr runs minirun against dockerRun's store; the test fails unless it
// exits 0.
func dmr(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := runMinirun(t, stdin, append([]string{"--store", storeDir}, args...)...)
	if r.code != 0 {
		t.Fatalf("minirun %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// waitExec runs `exec REF sh -c SCRIPT` until it prints want, for up to
// 10 s, and fails the test if it never does.
func waitExec(t *testing.T, ref, script, want string) {
	t.Helper()
	var last result
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		last = runMinirun(t, "", "--store", storeDir, "exec", ref, "sh", "-c", script)
		if last.code == 0 && strings.TrimSpace(last.stdout) == want {
			return
		}
	}
	t.Fatalf("exec %s %q: %+v, want %q", ref, script, last, want)
}

// Each of Docker's exec flags, into a detached container named by its
// name and by its short id.
func TestDockerExecFlags(t *testing.T) {
	needRoot(t)
	id := dockerDetached(t, "flags-exec", "alpine", "sleep", "1000")
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# a comment\nA=from-file\nB=file\nC\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("C", "from-host")
	for _, ref := range []string{"flags-exec", id[:12]} {
		t.Run(ref, func(t *testing.T) {
			if out := dmr(t, "", "exec", ref, "echo", "hi"); out != "hi\n" {
				t.Errorf("exec: %q", out)
			}
			// stdin reaches the process with -i only, as Docker's.
			if out := dmr(t, "in\n", "exec", "-i", ref, "cat"); out != "in\n" {
				t.Errorf("exec -i cat: %q", out)
			}
			if out := dmr(t, "in\n", "exec", "--interactive", ref, "cat"); out != "in\n" {
				t.Errorf("exec --interactive cat: %q", out)
			}
			if out := dmr(t, "in\n", "exec", ref, "cat"); out != "" {
				t.Errorf("exec without -i read stdin: %q", out)
			}
			for _, w := range []string{"-w", "--workdir", "--cwd"} {
				if out := dmr(t, "", "exec", w, "/tmp", ref, "pwd"); out != "/tmp\n" {
					t.Errorf("exec %s /tmp pwd: %q", w, out)
				}
			}
			// -u takes a name, looked up in the container's /etc/passwd.
			if out := dmr(t, "", "exec", "-u", "nobody", ref, "id", "-u"); out != "65534\n" {
				t.Errorf("exec -u nobody: %q", out)
			}
			if out := dmr(t, "", "exec", "--user", "1000:1000", ref, "id", "-g"); out != "1000\n" {
				t.Errorf("exec --user 1000:1000: %q", out)
			}
			if out := dmr(t, "", "exec", "-e", "X=1,2", "-e", "Y=3", ref, "sh", "-c", "echo $X $Y"); out != "1,2 3\n" {
				t.Errorf("exec -e: %q", out)
			}
			// The file first, -e over it; a bare KEY takes the caller's value.
			if out := dmr(t, "", "exec", "--env-file", envFile, "-e", "B=flag", ref, "sh", "-c", "echo $A $B $C"); out != "from-file flag from-host\n" {
				t.Errorf("exec --env-file: %q", out)
			}
			// --privileged: every capability the host has, no seccomp.
			plain := dmr(t, "", "exec", ref, "grep", "-E", "^(Seccomp|CapEff):", "/proc/self/status")
			mustContain(t, "exec", plain, "Seccomp:\t2")
			priv := dmr(t, "", "exec", "--privileged", ref, "grep", "-E", "^(Seccomp|CapEff):", "/proc/self/status")
			mustContain(t, "exec --privileged", priv, "Seccomp:\t0")
			host, _ := os.ReadFile("/proc/self/status")
			for _, l := range strings.Split(string(host), "\n") {
				if strings.HasPrefix(l, "CapEff:") {
					mustContain(t, "exec --privileged", priv, l)
				}
			}
			// -d returns at once; the process runs on.
			mark := "/tmp/d-" + strings.ReplaceAll(ref, "-", "")
			if out := dmr(t, "", "exec", "-d", ref, "sh", "-c", "sleep 0.2; echo done > "+mark); out != "" {
				t.Errorf("exec -d printed %q", out)
			}
			waitExec(t, ref, "cat "+mark+" 2>/dev/null", "done")
			// The container's own status passes through; Docker's for the rest.
			if r := runMinirun(t, "", "--store", storeDir, "exec", ref, "sh", "-c", "exit 7"); r.code != 7 {
				t.Errorf("exit 7: %+v", r)
			}
			checkFailure(t, runMinirun(t, "", "--store", storeDir, "exec", ref, "nosuchcmd"), 127, "nosuchcmd", "not found")
			checkFailure(t, runMinirun(t, "", "--store", storeDir, "exec", ref, "/etc/passwd"), 126, "/etc/passwd", "permission denied")
			checkFailure(t, runMinirun(t, "", "--store", storeDir, "exec", "-w", "tmp", ref, "true"), exitDocker, "-w", "absolute")
			checkFailure(t, runMinirun(t, "", "--store", storeDir, "exec", "-u", "nosuchuser", ref, "true"), exitDocker, "nosuchuser")
		})
	}
	// The full id is a Docker-front container too.
	checkFailure(t, runMinirun(t, "", "--store", storeDir, "exec", id, "nosuchcmd"), 127, "nosuchcmd")
}

// exec -it gives the process a terminal and the caller's keys.
func TestDockerExecTTY(t *testing.T) {
	needRoot(t)
	dockerDetached(t, "flags-tty", "alpine", "sleep", "1000")
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Skipf("no pty on this host: %v", err)
	}
	defer master.Close()
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(minirun, "--store", storeDir, "exec", "-it", "flags-tty", "sh", "-c", `tty; read x; echo "got:$x"`)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var out strings.Builder
	read := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				close(read)
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // let the shell reach read; the keys wait in the pty if not
	master.Write([]byte("hello\r"))
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exec -it: %v", err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatal("exec -it never ended")
	}
	master.Close()
	select {
	case <-read:
	case <-time.After(2 * time.Second):
	}
	got := strings.ReplaceAll(out.String(), "\r", "")
	mustContain(t, "exec -it", got, "/dev/pts/")
	mustContain(t, "exec -it", got, "got:hello")
}

// The two forms of exec fail with their own numbers: runc's 255 for a
// container --root does not know, Docker's 125 when its flags say it is
// Docker's or the container has stopped.
func TestDockerExecForms(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	checkFailure(t, runMinirun(t, "", "--store", storeDir, "exec", "flags-nosuch", "true"), exitRuncExec, "flags-nosuch", "does not exist")
	for _, flag := range []string{"-i", "-it", "-w", "--env-file", "--privileged"} {
		args := []string{"--store", storeDir, "exec", flag}
		switch flag {
		case "-w":
			args = append(args, "/")
		case "--env-file":
			args = append(args, "/dev/null")
		}
		r := runMinirun(t, "", append(args, "flags-nosuch", "true")...)
		checkFailure(t, r, exitDocker, "flags-nosuch")
	}
	done := dockerDetached(t, "flags-done", "alpine", "true")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r := runMinirun(t, "", "state", done); r.code != 0 || strings.Contains(r.stdout, `"stopped"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("flags-done never stopped")
		}
	}
	checkFailure(t, runMinirun(t, "", "--store", storeDir, "exec", "flags-done", "true"), exitDocker, "flags-done", "not running")
}

// procStates counts the zombies among the processes a container shows.
const procStates = `cat /proc/[0-9]*/status 2>/dev/null | grep -c "^State:.*Z" || true`

// --init: tini is PID 1, reaps what is orphaned to it and passes signals
// on to the command.
func TestDockerRunInit(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat(docker.InitPath); err != nil {
		t.Fatalf("%s missing: `make deps` installs Debian's tini", docker.InitPath)
	}
	r := dockerRun(t, "", "--rm", "--init", "alpine", "cat", "/proc/1/comm")
	if r.code != 0 || r.stdout != "docker-init\n" {
		t.Fatalf("PID 1 under --init: %+v", r)
	}
	// An orphan's exit leaves a zombie unless PID 1 reaps it: sleep as
	// PID 1 doesn't (the control), tini does.
	orphan := "(sleep 0.1 &); exec sleep 1000"
	dockerDetached(t, "flags-noinit", "alpine", "sh", "-c", orphan)
	waitExec(t, "flags-noinit", procStates, "1")
	dockerDetached(t, "flags-init", "--init", "alpine", "sh", "-c", orphan)
	waitExec(t, "flags-init", "cat /proc/[0-9]*/comm | grep -c '^sleep$' || true", "1") // the orphan ended
	waitExec(t, "flags-init", procStates, "0")
	// SIGTERM to the container's PID 1 reaches the command.
	out := t.TempDir()
	id := dockerDetached(t, "flags-sig", "--init", "-v", out+":/out", "alpine", "sh", "-c",
		`trap 'echo term > /out/got; exit 0' TERM; echo ready > /out/ready; while :; do sleep 0.05; done`)
	waitFile(t, filepath.Join(out, "ready"))
	mr(t, "kill", id, "TERM")
	if got := waitFile(t, filepath.Join(out, "got")); got != "term\n" {
		t.Errorf("the command got %q", got)
	}
}

// --label and --label-file land in the record, later ones winning.
func TestDockerRunLabels(t *testing.T) {
	needRoot(t)
	file := filepath.Join(t.TempDir(), "labels")
	os.WriteFile(file, []byte("# labels\ntier=file\nteam=core\n"), 0o644)
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	runMinirun(t, "", "--store", storeDir, "rm", "-f", "flags-label")
	t.Cleanup(func() { runMinirun(t, "", "--store", storeDir, "rm", "-f", "flags-label") })
	if r := dockerRun(t, "", "--name", "flags-label", "--label-file", file, "-l", "tier=flag", "-l", "bare", "-l", "hosts=a,b", "alpine", "true"); r.code != 0 {
		t.Fatalf("run --label: %+v", r)
	}
	rec, err := docker.Find(filepath.Join(storeDir, "containers"), "flags-label")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"tier": "flag", "team": "core", "bare": "", "hosts": "a,b"}
	if fmt.Sprint(rec.Config.Labels) != fmt.Sprint(want) {
		t.Errorf("labels %v, want %v", rec.Config.Labels, want)
	}
}

// --sysctl sets namespaced keys in the container's own namespaces and
// never the host's; the others are refused.
func TestDockerRunSysctl(t *testing.T) {
	needRoot(t)
	hostShm, _ := os.ReadFile("/proc/sys/kernel/shm_rmid_forced")
	hostPing, _ := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	shm := "1"
	if strings.TrimSpace(string(hostShm)) == "1" {
		shm = "0"
	}
	ping := "0\t1000"
	if squeeze(string(hostPing)) == "0 1000\n" {
		ping = "0\t999"
	}
	r := dockerRun(t, "", "--rm", "--sysctl", "kernel.shm_rmid_forced="+shm, "--sysctl", "net.ipv4.ping_group_range="+ping,
		"alpine", "cat", "/proc/sys/kernel/shm_rmid_forced", "/proc/sys/net/ipv4/ping_group_range")
	if r.code != 0 || r.stdout != shm+"\n"+ping+"\n" {
		t.Errorf("--sysctl: %+v, want %q", r, shm+"\n"+ping+"\n")
	}
	if now, _ := os.ReadFile("/proc/sys/kernel/shm_rmid_forced"); string(now) != string(hostShm) {
		t.Errorf("the host's kernel.shm_rmid_forced changed: %q to %q", hostShm, now)
	}
	if now, _ := os.ReadFile("/proc/sys/net/ipv4/ping_group_range"); string(now) != string(hostPing) {
		t.Errorf("the host's net.ipv4.ping_group_range changed: %q to %q", hostPing, now)
	}
}

// --ipc and --pid container:NAME join the other container's namespaces:
// its message queues, its processes.
func TestDockerRunShareNamespaces(t *testing.T) {
	needRoot(t)
	dockerDetached(t, "flags-peer", "alpine", "sh", "-c", "touch /dev/mqueue/flags-q; exec sleep 1001")
	waitExec(t, "flags-peer", "ls /dev/mqueue", "flags-q")
	if r := dockerRun(t, "", "--rm", "--ipc", "container:flags-peer", "alpine", "ls", "/dev/mqueue"); r.code != 0 || r.stdout != "flags-q\n" {
		t.Errorf("--ipc container: %+v", r)
	}
	if r := dockerRun(t, "", "--rm", "alpine", "ls", "/dev/mqueue"); r.code != 0 || r.stdout != "" {
		t.Errorf("a private ipc namespace sees %+v", r)
	}
	if r := dockerRun(t, "", "--rm", "--pid", "container:flags-peer", "alpine", "ps"); r.code != 0 || !strings.Contains(r.stdout, "sleep 1001") {
		t.Errorf("--pid container: %+v", r)
	}
	// host: the host's namespaces (this test's pid namespace holds minirun).
	self, _ := os.Readlink("/proc/self/ns/pid")
	if r := dockerRun(t, "", "--rm", "--pid", "host", "alpine", "readlink", "/proc/self/ns/pid"); r.code != 0 || r.stdout != self+"\n" {
		t.Errorf("--pid host: %+v, want %s", r, self)
	}
	ipc, _ := os.Readlink("/proc/self/ns/ipc")
	if r := dockerRun(t, "", "--rm", "--ipc", "host", "alpine", "readlink", "/proc/self/ns/ipc"); r.code != 0 || r.stdout != ipc+"\n" {
		t.Errorf("--ipc host: %+v, want %s", r, ipc)
	}
	if r := dockerRun(t, "", "--rm", "--userns", "host", "alpine", "true"); r.code != 0 {
		t.Errorf("--userns host: %+v", r)
	}
}

// --device makes the host's node under another name, with its cgroup rule.
func TestDockerRunDevice(t *testing.T) {
	needRoot(t)
	r := dockerRun(t, "", "--rm", "--device", "/dev/null:/dev/mynull", "alpine", "sh", "-c", "stat -c '%t,%T %F' /dev/mynull; echo x > /dev/mynull")
	if r.code != 0 || r.stdout != "1,3 character special file\n" {
		t.Errorf("--device /dev/null:/dev/mynull: %+v", r)
	}
	// A device outside Docker's default rules opens only with --device.
	if _, err := os.Stat("/dev/loop-control"); err == nil {
		open := "exec 3</dev/lc && echo opened"
		if r := dockerRun(t, "", "--rm", "--device", "/dev/loop-control:/dev/lc:r", "alpine", "sh", "-c", open); r.code != 0 || r.stdout != "opened\n" {
			t.Errorf("--device with r: %+v", r)
		}
	}
}

// -h is Docker's --hostname in run; `run -h` alone and --help are help.
func TestDockerRunHostnameFlag(t *testing.T) {
	needRoot(t)
	for _, name := range []string{"flagshost", "true"} {
		if r := dockerRun(t, "", "--rm", "-h", name, "alpine", "hostname"); r.code != 0 || r.stdout != name+"\n" {
			t.Errorf("run -h %s: %+v", name, r)
		}
	}
	for _, args := range [][]string{{"run", "-h"}, {"run", "--help"}} {
		r := runMinirun(t, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "--hostname value") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

// Bad values of the everyday flags: one line, 125, nothing left.
func TestDockerRunEverydayBadInput(t *testing.T) {
	needRoot(t)
	store := badStore(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--platform", "linux/arm64"}, []string{"--platform", "linux/arm64"}},
		{[]string{"--platform", "windows/amd64"}, []string{"--platform", "windows"}},
		{[]string{"--device", "/dev/missing"}, []string{"--device", "/dev/missing", "no such file"}},
		{[]string{"--device", "/etc/passwd"}, []string{"--device", "not a device"}},
		{[]string{"--device", "/dev/null:/dev/x:rwx"}, []string{"--device", "rwx"}},
		{[]string{"--sysctl", "kernel.core_pattern=x"}, []string{"kernel.core_pattern", "not namespaced"}},
		{[]string{"--network", "host", "--sysctl", "net.ipv4.ping_group_range=0 1"}, []string{"net.ipv4.ping_group_range", "network namespace"}},
		{[]string{"--sysctl", "novalue"}, []string{"--sysctl", "novalue"}},
		{[]string{"--ipc", "bogus"}, []string{"--ipc", "bogus"}},
		{[]string{"--ipc", "container:flags-nosuch"}, []string{"--ipc", "flags-nosuch"}},
		{[]string{"--pid", "container:flags-nosuch"}, []string{"--pid", "flags-nosuch"}},
		{[]string{"--pid", "bogus"}, []string{"--pid", "bogus"}},
		{[]string{"--userns", "keep-id"}, []string{"--userns", "keep-id"}},
		{[]string{"--label", "=v"}, []string{"--label", "=v"}},
		{[]string{"--label-file", "/nonexistent/labels"}, []string{"--label-file", "/nonexistent/labels"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			before := snapshotLeftovers(store, t.TempDir())
			r := runMinirun(t, "", append(append([]string{"--store", store, "run", "--rm"}, c.args...), "alpine", "true")...)
			checkFailure(t, r, exitDocker, c.want...)
			after := snapshotLeftovers(store, t.TempDir())
			for k := range after {
				// Only what a run makes: the fault and bad-input
				// suites' cgroups are other tests' to clean.
				if !before[k] && (!strings.HasPrefix(k, "cgroup ") || len(filepath.Base(k)) == 64) {
					t.Errorf("left behind: %s", k)
				}
			}
		})
	}
}
