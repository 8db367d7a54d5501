package seccomp

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The load tests install real filters, so they run in a re-executed copy of
// the test binary that sets no_new_privs itself (no root needed) and exits.
const childEnv = "MINIRUN_SECCOMP_TEST_CHILD"

func runChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadChild$", "-test.v")
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+name)...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
}

func TestLoadChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		t.Skip("only runs as the child of another test")
	}
	// no_new_privs is a thread's: the load must come from the thread that
	// set it, or a caller without CAP_SYS_ADMIN gets EACCES.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	switch name {
	case "errno":
		childErrno(t)
	case "notify":
		childNotify(t)
	}
	os.Stdout.WriteString("CHILD OK\n")
}

func TestLoadErrnoAllThreads(t *testing.T) { runChild(t, "errno") }

func childErrno(t *testing.T) {
	hundred := uint(100)
	p, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdirat", "mkdir"}, Action: specs.ActErrno, ErrnoRet: &hundred},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // mkdir is denied once the filter is in
	// Start a thread before loading: TSYNC must cover it too.
	other := make(chan error)
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(ready)
		<-other
		other <- unix.Mkdir(filepath.Join(dir, "other"), 0o755)
	}()
	<-ready
	if fd, err := p.Load(); err != nil || fd != -1 {
		t.Fatalf("load: fd %d, %v", fd, err)
	}
	if err := unix.Mkdir(filepath.Join(dir, "x"), 0o755); !errors.Is(err, unix.ENETDOWN) {
		t.Fatalf("mkdir after load: %v, want ENETDOWN (100)", err)
	}
	other <- nil
	if err := <-other; !errors.Is(err, unix.ENETDOWN) {
		t.Fatalf("mkdir on the other thread: %v, want ENETDOWN", err)
	}
}

func TestLoadNotifyListener(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	agent := make(chan error, 1)
	go func() { agent <- answerOnce(l) }()
	runChild(t, "notify", "MINIRUN_TEST_SOCK="+sock)
	if err := <-agent; err != nil {
		t.Fatal(err)
	}
}

// answerOnce is a minimal seccomp agent: it takes the fd and the state, and
// answers the first notification with EXDEV.
func answerOnce(l *net.UnixListener) error {
	conn, err := l.AcceptUnix()
	if err != nil {
		return err
	}
	defer conn.Close()
	f, st, err := ReceiveListener(conn)
	if err != nil {
		return err
	}
	defer f.Close()
	if st.Metadata != "test-metadata" || len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.Pid == 0 {
		return errors.New("bad state: " + st.Metadata)
	}
	req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(f.Fd()))
	if err != nil {
		return err
	}
	return libseccomp.NotifRespond(libseccomp.ScmpFd(f.Fd()), &libseccomp.ScmpNotifResp{
		ID: req.ID, Error: int32(unix.EXDEV), // the binding negates it
	})
}

func childNotify(t *testing.T) {
	sock := os.Getenv("MINIRUN_TEST_SOCK")
	dir := t.TempDir()
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: sock, ListenerMetadata: "test-metadata",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdirat", "mkdir"}, Action: specs.ActNotify}}}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Listener {
		t.Fatal("Listener not set")
	}
	fd, err := p.Load()
	if err != nil {
		t.Fatal(err)
	}
	state := specs.ContainerProcessState{Pid: os.Getpid(), Metadata: s.ListenerMetadata,
		State: specs.State{Version: specs.Version, ID: "test", Status: specs.StateCreating, Pid: os.Getpid()}}
	if err := SendListener(sock, fd, state); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	if err := unix.Mkdir(filepath.Join(dir, "x"), 0o755); !errors.Is(err, unix.EXDEV) {
		t.Fatalf("mkdir under notify: %v, want EXDEV from the agent", err)
	}
}
