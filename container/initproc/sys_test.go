package initproc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp/filter"
)

// recorder is the system of the unit tests: it makes no call, and records
// each one as a line ("pivot_root", "sysctl net.ipv4.ip_forward=1",
// "capset holding CAP_SYS_ADMIN"), so a test reads the sequence the init
// would make for a config. Every call succeeds but the one named by
// failOn; Recv answers as the parent would; Execve ends the run.
type recorder struct {
	calls   []string
	ambient []string // process.capabilities.ambient, raised by Capset(false)
	cwd     string
	nextFd  int
	failOn  string
	answer  string // Recv's answer to "bindsrc": this type and no fd, instead of "ok" with one
	sent    string // the type of the last message sent
}

var (
	errExecRecorded = errors.New("execve (recorded)")
	errInjected     = errors.New("injected failure")
)

// rec records a call; the call fails with errInjected when its line
// starts with failOn.
func (r *recorder) rec(format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	r.calls = append(r.calls, line)
	if r.failOn != "" && strings.HasPrefix(line, r.failOn) {
		return errInjected
	}
	return nil
}

func (r *recorder) fd() int { r.nextFd++; return 100 + r.nextFd }

func (r *recorder) Send(m Message, fd int) error {
	r.sent = m.Type
	if fd >= 0 {
		return r.rec("sendmsg %s with fd", m.Type)
	}
	return r.rec("sendmsg %s", m.Type)
}

// Recv answers "hooks" with the state, "idmap" with a mount's fd.
func (r *recorder) Recv(m *Message) (int, error) {
	if r.answer != "" && r.sent == "bindsrc" {
		*m = Message{Type: r.answer}
		return -1, r.rec("recvmsg")
	}
	*m = Message{Type: "ok", State: &specs.State{ID: "c1", Status: specs.StateCreating}}
	return r.fd(), r.rec("recvmsg")
}

func (r *recorder) SetPropagation(mode string) error { return r.rec("mount propagation %q", mode) }
func (r *recorder) BindRootfs(root string) error     { return r.rec("mount bind %s", root) }
func (r *recorder) Mount(root string, m specs.Mount) error {
	return r.rec("mount %s", m.Destination)
}

func (r *recorder) MountFrom(root string, m specs.Mount, src int) error {
	return r.rec("mount %s from the parent's handle", m.Destination)
}

func (r *recorder) MountDetached(root string, m specs.Mount, tree int) error {
	return r.rec("move_mount %s", m.Destination)
}

func (r *recorder) Devices(root string, devs []specs.LinuxDevice, bindOnly bool) error {
	if bindOnly {
		return r.rec("devices bind")
	}
	return r.rec("devices mknod")
}

func (r *recorder) PivotRoot(root string) error    { return r.rec("pivot_root %s", root) }
func (r *recorder) Chroot(root string) error       { return r.rec("chroot %s", root) }
func (r *recorder) ChrootFd(fd int) error          { return r.rec("chroot fd") }
func (r *recorder) Pdeathsig() (int, error)        { return 9, r.rec("prctl PR_GET_PDEATHSIG") }
func (r *recorder) Sysctl(key, value string) error { return r.rec("sysctl %s=%s", key, value) }
func (r *recorder) MaskPaths(paths []string) error {
	return r.rec("mask %s", strings.Join(paths, ","))
}
func (r *recorder) ReadonlyPaths(paths []string) error {
	return r.rec("read-only %s", strings.Join(paths, ","))
}
func (r *recorder) ReadonlyRoot() error               { return r.rec("read-only root") }
func (r *recorder) WriteProc(rel, value string) error { return r.rec("write /proc/%s", rel) }

func (r *recorder) Unshare(flags int) error {
	if flags == unix.CLONE_NEWCGROUP {
		return r.rec("unshare CLONE_NEWCGROUP")
	}
	return r.rec("unshare %#x", flags)
}

func (r *recorder) Sethostname(name string) error        { return r.rec("sethostname %s", name) }
func (r *recorder) Setdomainname(name string) error      { return r.rec("setdomainname %s", name) }
func (r *recorder) JoinSessionKeyring(name string) error { return r.rec("keyctl join %s", name) }
func (r *recorder) LoopbackUp() error                    { return r.rec("lo up") }

func (r *recorder) RemountReadonly(path string) error { return r.rec("remount %s ro", path) }

func (r *recorder) OpenPty(size *specs.Box, owner specs.User) (int, int, error) {
	return r.fd(), r.fd(), r.rec("open pty")
}

func (r *recorder) SetConsole(slave int) error { return r.rec("setsid, TIOCSCTTY, dup3") }

func (r *recorder) ProcAttrs(s *specs.Spec, exec bool) error { return r.rec("process attributes") }
func (r *recorder) Getrlimit(res int, lim *unix.Rlimit) error {
	return r.rec("getrlimit %d", res)
}

func (r *recorder) Setrlimit(res int, lim *unix.Rlimit) error {
	return r.rec("setrlimit %s", rlimitName(res))
}

func (r *recorder) Prctl(option int, arg uintptr) error {
	switch option {
	case unix.PR_SET_NO_NEW_PRIVS:
		return r.rec("prctl PR_SET_NO_NEW_PRIVS")
	case unix.PR_SET_KEEPCAPS:
		return r.rec("prctl PR_SET_KEEPCAPS")
	case unix.PR_SET_PDEATHSIG:
		return r.rec("prctl PR_SET_PDEATHSIG")
	}
	return r.rec("prctl %d", option)
}

func (r *recorder) DropBounding() error        { return r.rec("drop bounding set") }
func (r *recorder) ClearAmbient() error        { return r.rec("clear ambient set") }
func (r *recorder) Setgroups(gids []int) error { return r.rec("setgroups %v", gids) }
func (r *recorder) Setresgid(gid int) error    { return r.rec("setresgid %d", gid) }
func (r *recorder) Setresuid(uid int) error    { return r.rec("setresuid %d", uid) }

// Capset raises the ambient set as caps.Set.ApplyCaps does: one prctl
// per capability, after the capset.
func (r *recorder) Capset(holdingAdmin bool) error {
	if holdingAdmin {
		return r.rec("capset holding CAP_SYS_ADMIN")
	}
	err := r.rec("capset")
	for _, c := range r.ambient {
		err = errors.Join(err, r.rec("prctl PR_CAP_AMBIENT_RAISE %s", c))
	}
	return err
}

func (r *recorder) Umask(mask int)            { _ = r.rec("umask %o", mask) }
func (r *recorder) Chdir(dir string) error    { r.cwd = dir; return r.rec("chdir %s", dir) }
func (r *recorder) Getwd() (string, error)    { return r.cwd, r.rec("getcwd") }
func (r *recorder) CloseFrom(first int) error { return r.rec("close_range %d", first) }
func (r *recorder) CloseOnExec(fd int)        { _ = r.rec("cloexec %d", fd) }
func (r *recorder) Access(path string) error  { return r.rec("access %s", path) }
func (r *recorder) Read(fd int, b []byte) (int, error) {
	return len(b), r.rec("read %d", fd)
}

func (r *recorder) Close(fd int) error { return r.rec("close %d", fd) }

// Stat finds a regular file wherever it looks.
func (r *recorder) Stat(path string) (uint32, error) {
	return unix.S_IFREG | 0o755, r.rec("stat %s", path)
}

func (r *recorder) RunHooks(s *specs.Spec, kind string, st specs.State, dir string) error {
	return r.rec("hooks %s", kind)
}

func (r *recorder) LowestFreeFd() (int, error) { return 7, r.rec("fcntl F_DUPFD_CLOEXEC") }
func (r *recorder) LoadSeccomp(f *filter.Filter) (int, error) {
	return -1, r.rec("seccomp load")
}

func (r *recorder) Execve(a *execArgs) error {
	if err := r.rec("execve"); err != nil {
		return err
	}
	return errExecRecorded
}

// syscallsOf names what the kernel sees for a recorded call: the first
// word, but for the calls whose name is not the syscall's. Running hooks
// is fork, exec and wait for each, with a pipe for the output, as os/exec
// does.
func syscallsOf(call string) []string {
	word, _, _ := strings.Cut(call, " ")
	switch word {
	case "setrlimit":
		return []string{"prlimit64"}
	case "hooks":
		return []string{"clone", "execve", "wait4", "pipe2", "read", "write", "close"}
	}
	return []string{word}
}

func rlimitName(res int) string {
	for _, n := range []string{"RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE", "RLIMIT_AS"} {
		if rlimitOf(n) == res {
			return n
		}
	}
	return fmt.Sprint(res)
}
