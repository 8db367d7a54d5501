package initproc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
)

// recorder is the Sys of the unit tests: it makes no call, and records
// each one as a line ("pivot_root", "sysctl net.ipv4.ip_forward=1",
// "capset holding CAP_SYS_ADMIN"), so a test reads the sequence the init
// would make for a config. Every call succeeds; Recv answers as the
// parent would; Execve ends the run.
type recorder struct {
	calls   []string
	ambient []string // process.capabilities.ambient, raised by Capset(false)
	cwd     string
	nextFd  int
}

var errExecRecorded = errors.New("execve (recorded)")

func (r *recorder) rec(format string, args ...any) {
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
}

func (r *recorder) fd() int { r.nextFd++; return 100 + r.nextFd }

func (r *recorder) Send(m Message, fd int) error {
	if fd >= 0 {
		r.rec("sendmsg %s with fd", m.Type)
	} else {
		r.rec("sendmsg %s", m.Type)
	}
	return nil
}

// Recv answers "hooks" with the state, "idmap" with a mount's fd.
func (r *recorder) Recv(m *Message) (int, error) {
	r.rec("recvmsg")
	*m = Message{Type: "ok", State: &specs.State{ID: "c1", Status: specs.StateCreating}}
	return r.fd(), nil
}

func (r *recorder) SetPropagation(mode string) error { r.rec("mount propagation %q", mode); return nil }
func (r *recorder) BindRootfs(root string) error     { r.rec("mount bind %s", root); return nil }
func (r *recorder) Mount(root string, m specs.Mount) error {
	r.rec("mount %s", m.Destination)
	return nil
}

func (r *recorder) MountDetached(root string, m specs.Mount, tree int) error {
	r.rec("move_mount %s", m.Destination)
	return nil
}

func (r *recorder) Devices(root string, devs []specs.LinuxDevice, bindOnly bool) error {
	if bindOnly {
		r.rec("devices bind")
	} else {
		r.rec("devices mknod")
	}
	return nil
}

func (r *recorder) PivotRoot(root string) error    { r.rec("pivot_root %s", root); return nil }
func (r *recorder) Chroot(root string) error       { r.rec("chroot %s", root); return nil }
func (r *recorder) Sysctl(key, value string) error { r.rec("sysctl %s=%s", key, value); return nil }
func (r *recorder) MaskPaths(paths []string) error {
	r.rec("mask %s", strings.Join(paths, ","))
	return nil
}
func (r *recorder) ReadonlyPaths(paths []string) error {
	r.rec("read-only %s", strings.Join(paths, ","))
	return nil
}
func (r *recorder) ReadonlyRoot() error               { r.rec("read-only root"); return nil }
func (r *recorder) WriteProc(rel, value string) error { r.rec("write /proc/%s", rel); return nil }

func (r *recorder) Unshare(flags int) error {
	if flags == unix.CLONE_NEWCGROUP {
		r.rec("unshare CLONE_NEWCGROUP")
	} else {
		r.rec("unshare %#x", flags)
	}
	return nil
}

func (r *recorder) Sethostname(name string) error        { r.rec("sethostname %s", name); return nil }
func (r *recorder) Setdomainname(name string) error      { r.rec("setdomainname %s", name); return nil }
func (r *recorder) JoinSessionKeyring(name string) error { r.rec("keyctl join %s", name); return nil }
func (r *recorder) LoopbackUp() error                    { r.rec("lo up"); return nil }

func (r *recorder) OpenPty(size *specs.Box) (int, int, error) {
	r.rec("open pty")
	return r.fd(), r.fd(), nil
}

func (r *recorder) SetConsole(slave int) error { r.rec("setsid, TIOCSCTTY, dup3"); return nil }

func (r *recorder) ProcAttrs(s *specs.Spec, exec bool) error { r.rec("process attributes"); return nil }
func (r *recorder) Getrlimit(res int, lim *unix.Rlimit) error {
	r.rec("getrlimit %d", res)
	return nil
}

func (r *recorder) Setrlimit(res int, lim *unix.Rlimit) error {
	r.rec("setrlimit %s", rlimitName(res))
	return nil
}

func (r *recorder) Prctl(option int, arg uintptr) error {
	switch option {
	case unix.PR_SET_NO_NEW_PRIVS:
		r.rec("prctl PR_SET_NO_NEW_PRIVS")
	case unix.PR_SET_KEEPCAPS:
		r.rec("prctl PR_SET_KEEPCAPS")
	default:
		r.rec("prctl %d", option)
	}
	return nil
}

func (r *recorder) DropBounding() error        { r.rec("drop bounding set"); return nil }
func (r *recorder) ClearAmbient() error        { r.rec("clear ambient set"); return nil }
func (r *recorder) Setgroups(gids []int) error { r.rec("setgroups %v", gids); return nil }
func (r *recorder) Setresgid(gid int) error    { r.rec("setresgid %d", gid); return nil }
func (r *recorder) Setresuid(uid int) error    { r.rec("setresuid %d", uid); return nil }

// Capset raises the ambient set as caps.Set.ApplyCaps does: one prctl
// per capability, after the capset.
func (r *recorder) Capset(holdingAdmin bool) error {
	if holdingAdmin {
		r.rec("capset holding CAP_SYS_ADMIN")
		return nil
	}
	r.rec("capset")
	for _, c := range r.ambient {
		r.rec("prctl PR_CAP_AMBIENT_RAISE %s", c)
	}
	return nil
}

func (r *recorder) Umask(mask int)            { r.rec("umask %o", mask) }
func (r *recorder) Chdir(dir string) error    { r.rec("chdir %s", dir); r.cwd = dir; return nil }
func (r *recorder) Getwd() (string, error)    { r.rec("getcwd"); return r.cwd, nil }
func (r *recorder) CloseFrom(first int) error { r.rec("close_range %d", first); return nil }
func (r *recorder) CloseOnExec(fd int)        { r.rec("cloexec %d", fd) }
func (r *recorder) Access(path string) error  { r.rec("access %s", path); return nil }
func (r *recorder) Read(fd int, b []byte) (int, error) {
	r.rec("read %d", fd)
	return len(b), nil
}

func (r *recorder) Close(fd int) error { r.rec("close %d", fd); return nil }

// Stat finds a regular file wherever it looks.
func (r *recorder) Stat(path string) (uint32, error) {
	r.rec("stat %s", path)
	return unix.S_IFREG | 0o755, nil
}

func (r *recorder) RunHooks(s *specs.Spec, kind string, st specs.State) error {
	r.rec("hooks %s", kind)
	return nil
}

func (r *recorder) LowestFreeFd() (int, error) { r.rec("fcntl F_DUPFD_CLOEXEC"); return 7, nil }
func (r *recorder) LoadSeccomp(p *seccomp.Program) (int, error) {
	r.rec("seccomp load")
	return -1, nil
}

func (r *recorder) Execve(a *execArgs) error { r.rec("execve"); return errExecRecorded }

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
