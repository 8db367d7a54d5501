package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minirun/minirun/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// addCap puts c in the bounding, effective and permitted sets.
func addCap(s *specs.Spec, c string) {
	lc := s.Process.Capabilities
	lc.Bounding = append(lc.Bounding, c)
	lc.Effective = append(lc.Effective, c)
	lc.Permitted = append(lc.Permitted, c)
}

// runWithin is runSpec with a deadline, for starts that could hang: a hung
// container fails the test instead of stalling the suite.
func runWithin(t *testing.T, d time.Duration, s *specs.Spec, extra ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	args := append(append([]string{}, extra...), "run", "-b", writeBundle(t, s), containerID(t))
	cmd := exec.CommandContext(ctx, minirun, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("minirun %v did not end within %v (stderr %q)", args, d, errb.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(unix.WaitStatus); ok && ws.Signaled() {
			t.Errorf("minirun itself was killed by %v after %v (stderr %q)", ws.Signal(), time.Since(start), errb.String())
		}
	} else if err != nil {
		t.Fatalf("minirun %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// A deny-all profile stops the container from starting: the runtime's own
// steps after the filter is in (the capability drop, execve) are denied,
// and that must end as a clean runtime error, not a crash or a hang.
func TestSeccompDenyAllStopsStart(t *testing.T) {
	needRoot(t)
	const denyAll = `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[]}`
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			s := defaultSpec(t, "echo", "ran")
			s.Process.NoNewPrivileges = nnp
			s.Linux.Seccomp = dockerProfile(t, s, denyAll)
			start := time.Now()
			r := runWithin(t, 10*time.Second, s)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to fail", d)
			}
			checkFailure(t, r, exitRunc, "seccomp")
		})
	}
}

func TestSeccompDenyChmod(t *testing.T) {
	needRoot(t)
	s := writableSpec(t, "sh", "-c", "touch /tmp/x && chmod 600 /tmp/x")
	// glibc and busybox may use any of these for chmod(1).
	s.Linux.Seccomp = dockerProfile(t, s, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["chmod","fchmod","fchmodat"],"action":"SCMP_ACT_ERRNO"}]}`)
	r := runSpec(t, s, "")
	if r.code != 1 {
		t.Fatalf("chmod under a profile denying it: %+v", r)
	}
	mustContain(t, "chmod", r.stderr, "Operation not permitted")
}

// unshare denied outright, then only with CLONE_NEWUSER through a masked
// argument filter: with CAP_SYS_ADMIN and an allowing default action,
// `unshare --uts` still works while `unshare --user` is refused.
func TestSeccompDenyUnshare(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "unshare", "--uts", "true")
	addCap(s, "CAP_SYS_ADMIN")
	s.Linux.Seccomp = dockerProfile(t, s, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["unshare"],"action":"SCMP_ACT_ERRNO"}]}`)
	r := runSpec(t, s, "")
	if r.code != 1 || !strings.Contains(r.stderr, "Operation not permitted") {
		t.Fatalf("unshare --uts under a profile denying unshare: %+v", r)
	}

	newUser := fmt.Sprint(unix.CLONE_NEWUSER)
	prof := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["unshare"],"action":"SCMP_ACT_ERRNO",
		 "args":[{"index":0,"value":` + newUser + `,"valueTwo":` + newUser + `,"op":"SCMP_CMP_MASKED_EQ"}]}]}`
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"unshare", "--uts", "true"}, 0},
		{[]string{"unshare", "--user", "true"}, 1},
		{[]string{"unshare", "--user", "--uts", "true"}, 1},
		{[]string{"unshare", "--ipc", "--net", "true"}, 0},
	} {
		s := defaultSpec(t, c.args...)
		addCap(s, "CAP_SYS_ADMIN")
		s.Linux.Seccomp = dockerProfile(t, s, prof)
		r := runSpec(t, s, "")
		if r.code != c.code {
			t.Errorf("%v under the CLONE_NEWUSER filter: exit %d, want %d: %+v", c.args, r.code, c.code, r)
		}
		if c.code != 0 {
			mustContain(t, strings.Join(c.args, " "), r.stderr, "Operation not permitted")
		}
	}
}

func TestSeccompErrnoRet(t *testing.T) {
	needRoot(t)
	s := writableSpec(t, "mkdir", "/tmp/d")
	s.Linux.Seccomp = dockerProfile(t, s, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":100}]}`)
	r := runSpec(t, s, "")
	if r.code != 1 {
		t.Fatalf("mkdir under errnoRet 100: %+v", r)
	}
	mustContain(t, "mkdir", r.stderr, "Network is down")
}

// KILL_PROCESS and KILL (the thread, which for busybox's one thread is the
// process) end the container's process with SIGSYS: 128+31.
func TestSeccompKill(t *testing.T) {
	needRoot(t)
	for _, action := range []string{"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"} {
		t.Run(action, func(t *testing.T) {
			s := writableSpec(t, "mkdir", "/tmp/d")
			s.Linux.Seccomp = dockerProfile(t, s, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
				{"names":["mkdir","mkdirat"],"action":"`+action+`"}]}`)
			r := runSpec(t, s, "")
			if r.code != 128+int(unix.SIGSYS) {
				t.Fatalf("exit %d, want %d (SIGSYS): %+v", r.code, 128+int(unix.SIGSYS), r)
			}
		})
	}
}

// Under the default profile, a number no profile can name gets ENOSYS (so
// libc falls back), a known denied syscall gets EPERM, and clone3 gets the
// ENOSYS Docker's profile asks for.
func TestSeccompENOSYS(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sys", fmt.Sprint(nrUnassigned)}, "errno 38 "},
		{[]string{"sys", "4000"}, "errno 38 "},
		{[]string{"sys", fmt.Sprint(nrKexecLoad)}, "errno 1 "},
		{[]string{"sys", fmt.Sprint(nrUnshare), "0"}, "errno 1 "},
		{[]string{"sys", fmt.Sprint(nrClone3)}, "errno 38 "},
		{[]string{"sys", fmt.Sprint(unix.SYS_GETPPID)}, "ok 0"},
	} {
		r := runSpec(t, probeSpec(t, c.args...), "")
		if r.code != 0 || !strings.HasPrefix(r.stdout, c.want) {
			t.Errorf("probe %v: %+v, want stdout %q...", c.args, r, c.want)
		}
	}
}

// glibc 2.34+ creates threads with clone3 and falls back to clone on
// ENOSYS; under the default profile both steps must go through.
func TestSeccompThreads(t *testing.T) {
	needRoot(t)
	r := runSpec(t, probeSpec(t, "threads", "16"), "")
	if r.code != 0 || r.stdout != "threads 16\n" {
		t.Fatalf("threads under the default profile: %+v", r)
	}
}

// int $0x80 from 64-bit code is an i386 syscall: seccomp sees
// AUDIT_ARCH_I386 and i386 numbers, and the default profile's x86 rules
// must apply (getpid allowed, unshare denied), not the x86_64 ones
// (20 is writev there, 310 process_vm_readv).
func TestSeccomp32BitSyscall(t *testing.T) {
	needRoot(t)
	needIA32(t)
	r := runSpec(t, probeSpec(t, "int80", fmt.Sprint(nrI386Getpid)), "")
	// The probe is pid 1 in its pid namespace.
	if r.code != 0 || r.stdout != "ok 1\n" {
		t.Errorf("i386 getpid under the default profile: %+v", r)
	}
	r = runSpec(t, probeSpec(t, "int80", fmt.Sprint(nrI386Unsh), "0"), "")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "errno 1 ") {
		t.Errorf("i386 unshare under the default profile: %+v, want EPERM", r)
	}
	// Unconfined, the same call works: the EPERM above is the filter's.
	s := probeSpec(t, "int80", fmt.Sprint(nrI386Unsh), "0")
	s.Linux.Seccomp = nil
	if r := runSpec(t, s, ""); r.stdout != "ok 0\n" {
		t.Errorf("i386 unshare(0) unconfined: %+v", r)
	}
}

// Docker's default profile opens unshare (and mount, setns...) only for a
// container that has CAP_SYS_ADMIN: the profile is resolved for the caps.
func TestSeccompCapabilityConditionalRules(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "unshare", "--uts", "true")
	addCap(s, "CAP_SYS_ADMIN")
	p, err := seccomp.DefaultProfile(s.Process.Capabilities.Bounding)
	if err != nil {
		t.Fatal(err)
	}
	s.Linux.Seccomp = p
	if r := runSpec(t, s, ""); r.code != 0 {
		t.Errorf("unshare --uts with CAP_SYS_ADMIN and the profile resolved for it: %+v", r)
	}

	// The cap alone is not enough: the profile resolved without it still
	// denies unshare.
	s = defaultSpec(t, "unshare", "--uts", "true")
	addCap(s, "CAP_SYS_ADMIN")
	r := runSpec(t, s, "")
	if r.code != 1 || !strings.Contains(r.stderr, "Operation not permitted") {
		t.Errorf("unshare --uts with CAP_SYS_ADMIN, profile resolved without it: %+v", r)
	}

	// Nor is the profile without the cap (the kernel says EPERM then, too).
	s = defaultSpec(t, "unshare", "--uts", "true")
	if r := runSpec(t, s, ""); r.code != 1 || !strings.Contains(r.stderr, "Operation not permitted") {
		t.Errorf("unshare --uts without CAP_SYS_ADMIN: %+v", r)
	}
}

// notifyAgent serves a seccomp agent on a unix socket: it receives the
// listener fd and the container state, then answers each notification
// with the next answer in turn (an errno, or 0 to let the call run).
type notifyAgent struct {
	sock    string
	state   chan *specs.ContainerProcessState
	errs    chan error
	calls   chan string // the syscall name of each notification
	answers []unix.Errno
}

func startNotifyAgent(t *testing.T, answers ...unix.Errno) *notifyAgent {
	t.Helper()
	// A short path: sun_path holds 108 bytes and t.TempDir() can be long.
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &notifyAgent{sock: filepath.Join(dir, "s"), state: make(chan *specs.ContainerProcessState, 1),
		errs: make(chan error, 1), calls: make(chan string, len(answers)), answers: answers}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: a.sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() { a.errs <- a.serve(l) }()
	return a
}

func (a *notifyAgent) serve(l *net.UnixListener) error {
	conn, err := l.AcceptUnix()
	if err != nil {
		return fmt.Errorf("agent: accept: %w", err)
	}
	defer conn.Close()
	f, st, err := seccomp.ReceiveListener(conn)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer f.Close()
	a.state <- st
	fd := libseccomp.ScmpFd(f.Fd())
	for _, ans := range a.answers {
		req, err := libseccomp.NotifReceive(fd)
		if err != nil {
			return fmt.Errorf("agent: receive notification: %w", err)
		}
		name, _ := req.Data.Syscall.GetName()
		a.calls <- name
		resp := &libseccomp.ScmpNotifResp{ID: req.ID, Error: int32(ans)} // the binding negates it
		if ans == 0 {
			resp.Flags = libseccomp.NotifRespFlagContinue
		}
		if err := libseccomp.NotifRespond(fd, resp); err != nil {
			return fmt.Errorf("agent: respond to %s: %w", name, err)
		}
	}
	return nil
}

// A NOTIFY rule hands mkdir to the test's agent, which fails the first
// with EXDEV and lets the second run; the container sees both answers.
func TestSeccompNotify(t *testing.T) {
	needRoot(t)
	agent := startNotifyAgent(t, unix.EXDEV, 0)
	s := writableSpec(t, "sh", "-c", "mkdir /tmp/a; echo a=$?; mkdir /tmp/b; echo b=$?; test -e /tmp/a || { test -d /tmp/b && echo b-made; }")
	s.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		Architectures:    []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		ListenerPath:     agent.sock,
		ListenerMetadata: "from-the-test",
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
	}
	r := runWithin(t, 20*time.Second, s)
	if err := <-agent.errs; err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || r.stdout != "a=1\nb=0\nb-made\n" {
		t.Fatalf("container under notify: %+v", r)
	}
	mustContain(t, "first mkdir", r.stderr, "Invalid cross-device link")
	st := <-agent.state
	if st.Metadata != "from-the-test" || st.State.ID != containerID(t) || st.Pid <= 0 ||
		len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.State.Status != specs.StateCreating {
		t.Errorf("container process state sent to the agent: %+v", st)
	}
	for i := 0; i < 2; i++ {
		if name := <-agent.calls; !strings.HasPrefix(name, "mkdir") {
			t.Errorf("notification %d for %q, want mkdir", i, name)
		}
	}
}

// The second start of the same profile loads the compiled program from
// the cache instead of compiling it again.
func TestSeccompCacheHitOnSecondStart(t *testing.T) {
	needRoot(t)
	t.Setenv("MINIRUN_SECCOMP_CACHE", t.TempDir())
	for i, want := range []string{"cached=false", "cached=true", "cached=true"} {
		r := runSpec(t, defaultSpec(t, "true"), "", "--debug")
		if r.code != 0 {
			t.Fatalf("start %d: %+v", i+1, r)
		}
		var line string
		// The parent's debug line (the init's messages start "init: ").
		for _, l := range strings.Split(r.stderr, "\n") {
			if strings.Contains(l, `level=debug msg="seccomp: `) && strings.Contains(l, "cached=") {
				line = l
			}
		}
		if !strings.Contains(line, want) {
			t.Fatalf("start %d: seccomp debug line %q, want %s", i+1, line, want)
		}
	}
}

// /proc/self/status in the container shows the filter in both load orders:
// before the capability drop (no_new_privs off) and last (no_new_privs on).
func TestSeccompStatusCustomProfile(t *testing.T) {
	needRoot(t)
	for _, nnp := range []bool{false, true} {
		s := defaultSpec(t, "grep", "-E", "^(Seccomp|NoNewPrivs|Seccomp_filters):", "/proc/self/status")
		s.Process.NoNewPrivileges = nnp
		s.Linux.Seccomp = dockerProfile(t, s, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
			{"names":["chmod","fchmodat"],"action":"SCMP_ACT_ERRNO"}]}`)
		r := runSpec(t, s, "")
		want := fmt.Sprintf("NoNewPrivs:\t%d\nSeccomp:\t2\nSeccomp_filters:\t1\n", map[bool]int{false: 0, true: 1}[nnp])
		if r.code != 0 || r.stdout != want {
			t.Errorf("noNewPrivileges=%v: status %q, want %q (stderr %q)", nnp, r.stdout, want, r.stderr)
		}
	}
}
