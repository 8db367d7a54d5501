package initproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/timerslack"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/internal/version"
	"github.com/minirun/minirun/rootfs"
)

// IsInit reports whether this process is a container init: the parent
// re-executes minirun with this marker.
func IsInit() bool {
	return len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv(FdEnv) != ""
}

// Init is the child half. It never returns on success: the last step is
// execve. On failure it tells the parent which step failed and exits.
func Init() {
	// Capabilities are per thread and execve replaces only the calling
	// thread's image, so every step runs on this one thread.
	runtime.LockOSThread()
	nameInit()
	fd, err := strconv.Atoi(os.Getenv(FdEnv))
	if err != nil {
		os.Exit(errdefs.ExitRuntime)
	}
	// The C pre-main unsets what it consumed; unset here too, so that a
	// hook inheriting this environment never sees a namespace list whose
	// fd numbers now mean something else.
	for _, k := range []string{FdEnv, NsenterEnv, PdeathsigEnv} {
		os.Unsetenv(k)
	}
	for _, kv := range RuntimeEnv {
		os.Unsetenv(kv[:strings.IndexByte(kv, '=')])
	}
	c := Conn{fd}
	var cfg Config
	configWait = trace.Now()
	err = c.RecvConfig(&cfg)
	if err == nil && cfg.AwaitPlaced {
		err = c.AwaitPlaced()
	}
	if errors.Is(err, ErrEOF) || errors.Is(err, syscall.ECONNRESET) {
		os.Exit(errdefs.ExitRuntime) // the parent is gone: no one to tell
	}
	if err == nil && cfg.Build != "" && version.Commit != "" && cfg.Build != version.Commit {
		err = fmt.Errorf("this init is build %s, its minirun %s: install minirun and minirun-init from one build", version.Commit, cfg.Build)
	}
	trace.Timings = cfg.Timings
	if cfg.Timings || cfg.Debug {
		trace.SetEpoch(cfg.TimingsEpoch)
	}
	if err == nil && cfg.Debug {
		if cfg.LogFd > 0 {
			trace.SetLog(os.NewFile(uintptr(cfg.LogFd), "log"), cfg.LogJSON)
		}
		// runc's init says the same at this point, and scripts look for
		// it (runc's debug.bats).
		what := "setting up the container"
		if cfg.Exec {
			what = "setting up the process to exec into the container"
		}
		tracer(true)("child process in init(): config received, %s", what)
	}
	if err == nil {
		keepCallerTimerSlack(cfg.TimerSlack)
	}
	switch {
	case err != nil:
		err = errdefs.Step("init", err)
	case cfg.Exec:
		err = execSequence(c, &cfg)
	default:
		err = initSequence(c, &cfg)
	}
	m := Message{Type: "error", Step: "init", Err: err.Error(), Code: errdefs.ExitRuntime}
	var ce *errdefs.StepError
	if errors.As(err, &ce) {
		m.Step, m.Err, m.Code = ce.Step, ce.Err.Error(), ce.Code
	}
	_ = c.Send(m, -1)
	os.Exit(m.Code)
}

// keepCallerTimerSlack gives this locked thread, which forks the hooks
// and execs the container's process, the timer slack minirun was started
// with (ns, from the config) or, when minirun did not know it, the one
// this process's C pre-main found: the Go runtime's other threads keep
// the larger slack they inherited (package timerslack). Best effort, as
// a slack is: a failure leaves the container a slower timer, no hole.
func keepCallerTimerSlack(ns uint64) {
	if ns != 0 {
		timerslack.SetCaller(ns)
	}
	_ = timerslack.Restore()
}

// tracer is the init's --debug logger: its lines start "init: ".
func tracer(on bool) trace.Logger { return trace.New(on, "init: ") }

func setHostname(sys system, s *specs.Spec, log trace.Logger) error {
	if s.Hostname != "" {
		log("hostname %s", s.Hostname)
		if err := sys.Sethostname(s.Hostname); err != nil {
			return stepErrf("hostname", "sethostname %q: %w", s.Hostname, err)
		}
	}
	if s.Domainname != "" {
		log("domainname %s", s.Domainname)
		if err := sys.Setdomainname(s.Domainname); err != nil {
			return stepErrf("hostname", "setdomainname %q: %w", s.Domainname, err)
		}
	}
	return nil
}

func setSysctls(sys system, sysctl map[string]string, log trace.Logger) error {
	for k, v := range sysctl {
		log("sysctl %s=%s", k, v)
		if err := sys.WriteProc(rootfs.SysctlPath(k), v); err != nil {
			return stepErrf("sysctl", "%s=%s: %w", k, v, err)
		}
	}
	return nil
}

func setOOMScore(sys system, adj *int, log trace.Logger) error {
	if adj == nil {
		return nil
	}
	log("oom_score_adj %d", *adj)
	if err := sys.WriteProc("self/oom_score_adj", strconv.Itoa(*adj)); err != nil {
		return stepErrf("oom score", "oom_score_adj=%d: %w", *adj, err)
	}
	return nil
}

// keepRlimitNofile gives the process the RLIMIT_NOFILE it is to exec with.
// The Go runtime raises its own soft limit when it starts; Go's exec would
// put back what it saw then, but the init execs with a raw execve (see
// execArgs), so the limit is set here: the configured one, or, when the
// config names none, the one the init started with (soft, from the
// parent, whose C pre-main noted it before its Go runtime changed it).
// Neither raises the hard limit, so neither needs privilege.
func keepRlimitNofile(sys system, rls []specs.POSIXRlimit, soft uint64) error {
	for _, r := range rls {
		if r.Type == "RLIMIT_NOFILE" {
			lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
			if err := sys.Prlimit(unix.RLIMIT_NOFILE, &lim, nil); err != nil {
				return stepErrf("rlimits", "RLIMIT_NOFILE=%d:%d: %w", r.Soft, r.Hard, err)
			}
			return nil
		}
	}
	if soft == 0 {
		return nil // started by something else than minirun's parent
	}
	var lim unix.Rlimit
	if err := sys.Prlimit(unix.RLIMIT_NOFILE, nil, &lim); err != nil {
		return stepErrf("rlimits", "getrlimit RLIMIT_NOFILE: %w", err)
	}
	lim.Cur = min(soft, lim.Max)
	if err := sys.Prlimit(unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		return stepErrf("rlimits", "RLIMIT_NOFILE back to %d: %w", soft, err)
	}
	return nil
}

func loadSeccomp(sys system, cfg *Config, sock int, log trace.Logger) error {
	prog := cfg.Seccomp
	if prog == nil {
		return nil
	}
	log("seccomp: loading %d BPF instructions (%d rules) with TSYNC", len(prog.Instructions), prog.Rules)
	if prog.Listener {
		announceListener(sys, sock)
	}
	fd, err := sys.LoadSeccomp(prog)
	if err != nil {
		return stepErr("seccomp", err)
	}
	if fd >= 0 {
		// The parent, still on the host, hands the fd to the listener.
		err := sys.Send(Message{Type: "listener"}, fd)
		sys.Close(fd)
		if err != nil {
			return stepErrf("seccomp", "send listener fd: %w", err)
		}
	}
	return nil
}

// announceListener tells the parent, before the filter is loaded, which
// fd the listener will be: the lowest free one, as the kernel gives it.
// Once loaded, the filter may notify the Go runtime's own calls (a
// recording notifies all but the few the runtime is known to make) and
// nothing answers them until the parent has the fd; a thread blocked that
// way can hold what this thread needs to send it (a runtime lock, a stop
// of the world). So the parent does not wait to be sent the fd: it takes
// it with pidfd_getfd as soon as it exists, and the message after the load
// is only the fallback. Best effort: without it, the message is all. The
// lowest free fd is the one a dup of the sync socket, sock, gets.
func announceListener(sys system, sock int) {
	n, err := sys.Fcntl(sock, unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return
	}
	sys.Close(n)
	_ = sys.Send(Message{Type: "listener-at", Code: n}, -1)
}

// dropPrivileges applies the user and the five capability sets, in the
// only order that works: the bounding set needs CAP_SETPCAP, so it goes
// first; keep-caps lets the permitted set survive the uid change; the new
// ids; then capset on this thread, and the ambient set last because the
// kernel only raises ambient capabilities that are permitted and
// inheritable. With holdAdmin, CAP_SYS_ADMIN stays effective for loading
// the seccomp filter, and the "drop CAP_SYS_ADMIN" step drops it right after.
func dropPrivileges(sys system, set *caps.Set, u specs.User, holdAdmin bool, log trace.Logger) error {
	if err := sys.DropBounding(); err != nil {
		return stepErr("capabilities", err)
	}
	// The ambient set the init may have inherited from whoever started
	// minirun is emptied before seccomp is loaded, so that the capset
	// that may run after the filter needs no prctl unless the process is
	// to have ambient capabilities.
	_, err := sys.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0)
	if err != nil && !errors.Is(err, unix.EINVAL) {
		return stepErrf("capabilities", "clear ambient capabilities: %w", err)
	}
	if _, err := sys.Prctl(unix.PR_SET_KEEPCAPS, 1, 0); err != nil {
		return stepErrf("capabilities", "prctl PR_SET_KEEPCAPS: %w", err)
	}
	// A change of credentials clears the parent-death signal, which the
	// init must keep: a foreground container dies with its minirun.
	deathsig, err := sys.Prctl(unix.PR_GET_PDEATHSIG, 0, 0)
	if err != nil {
		return stepErrf("user", "prctl PR_GET_PDEATHSIG: %w", err)
	}
	if err := setIDs(sys, u, log); err != nil {
		return err
	}
	if deathsig != 0 {
		if _, err := sys.Prctl(unix.PR_SET_PDEATHSIG, uintptr(deathsig), 0); err != nil {
			return stepErrf("user", "prctl PR_SET_PDEATHSIG again after the uid change: %w", err)
		}
	}
	if err := setCaps(sys, set, holdAdmin); err != nil {
		return stepErr("capabilities", err)
	}
	if set != nil {
		log("capabilities: %s", set)
	}
	if u.Umask != nil {
		sys.Umask(int(*u.Umask))
	}
	return nil
}

// setCaps applies the capability sets with capset, then, unless
// CAP_SYS_ADMIN is still held for the filter, raises the ambient set, one
// prctl per capability: the kernel only raises those already permitted
// and inheritable, so they come last. It may run under the container's
// filter, so it makes one capset, and prctls only when there are ambient
// capabilities to raise.
func setCaps(sys system, set *caps.Set, holdingAdmin bool) error {
	if err := sys.Capset(holdingAdmin); err != nil {
		return err
	}
	if holdingAdmin || set == nil {
		return nil
	}
	for _, c := range set.Ambient() {
		_, err := sys.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c))
		if err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("raise ambient capability %s: %w", c, err)
		}
	}
	return nil
}

func setIDs(sys system, u specs.User, log trace.Logger) error {
	groups := make([]int, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		groups[i] = int(g)
	}
	log("user uid=%d gid=%d groups=%v", u.UID, u.GID, groups)
	if err := sys.Setgroups(groups); err != nil && !(len(groups) == 0 && errors.Is(err, unix.EPERM)) {
		// EPERM with no groups is a user namespace with setgroups denied:
		// there is nothing to change then.
		return stepErrf("user", "setgroups %v: %w", groups, err)
	}
	if err := sys.Setresgid(int(u.GID)); err != nil {
		return stepErrf("user", "setresgid %d: %w", u.GID, err)
	}
	if err := sys.Setresuid(int(u.UID)); err != nil {
		return stepErrf("user", "setresuid %d: %w", u.UID, err)
	}
	return nil
}

// enterCwd changes into process.cwd and checks the result is the path that
// was asked for, inside the container: a leaked host directory fd or a
// racing symlink would otherwise leave the process outside its root.
func enterCwd(sys system, cwd string, log trace.Logger) error {
	if cwd == "" {
		cwd = "/"
	}
	if !filepath.IsAbs(cwd) {
		return stepErrf("cwd", "process.cwd %q: not absolute", cwd)
	}
	if err := sys.Chdir(cwd); err != nil {
		return stepErrf("cwd", "chdir %s: %w", cwd, err)
	}
	got, err := sys.Getwd()
	if err != nil {
		return stepErrf("cwd", "getcwd after chdir %s: %w", cwd, err)
	}
	// getcwd reports paths outside the root with a "(unreachable)" prefix.
	if !strings.HasPrefix(got, "/") {
		return stepErrf("cwd", "cwd %s is outside the container (%s)", cwd, got)
	}
	log("cwd %s", got)
	return nil
}

// lookPath finds the executable as execvp would, with the container's
// PATH, and classifies failures the way Docker does: 127 when nothing is
// there, 126 when it exists but can't be run.
func lookPath(sys system, name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, checkExecutable(sys, name)
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathEnv = v
		}
	}
	var firstErr error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := checkExecutable(sys, p)
		if err == nil {
			return p, nil
		}
		var ce *errdefs.StepError
		if firstErr == nil && errors.As(err, &ce) && ce.Code == errdefs.ExitNoExec {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", &errdefs.StepError{Step: "exec", Code: errdefs.ExitNotFound, Err: fmt.Errorf("%q: executable file not found in $PATH", name)}
}

func checkExecutable(sys system, p string) error {
	st, err := sys.Stat(p)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return &errdefs.StepError{Step: "exec", Code: errdefs.ExitNotFound, Err: fmt.Errorf("%q: no such file or directory", p)}
		}
		return &errdefs.StepError{Step: "exec", Code: errdefs.ExitNoExec, Err: fmt.Errorf("%q: %w", p, err)}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return &errdefs.StepError{Step: "exec", Code: errdefs.ExitNoExec, Err: fmt.Errorf("%q: is a directory", p)}
	}
	if err := sys.Access(p); err != nil {
		return &errdefs.StepError{Step: "exec", Code: errdefs.ExitNoExec, Err: fmt.Errorf("%q: permission denied", p)}
	}
	return nil
}

func execError(name string, err error) error {
	code := errdefs.ExitNoExec
	if errors.Is(err, unix.ENOENT) {
		code = errdefs.ExitNotFound // e.g. a script whose interpreter is missing
	}
	return &errdefs.StepError{Step: "exec", Code: code, Err: fmt.Errorf("execve %q: %w", name, err)}
}
