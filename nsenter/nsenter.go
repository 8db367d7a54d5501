// Package nsenter joins existing namespaces before the Go runtime starts.
// Import it for its side effect in the minirun binary.
//
// Why C: setns(2) into a mount namespace is refused to a process that
// shares its filesystem information with other threads, and into a user
// namespace to any multithreaded process. The Go runtime starts several
// threads before main, so no Go code can ever make those calls. A C
// constructor runs before the runtime, while the process still has one
// thread. It does nothing unless the parent set MINIRUN_NSENTER, and it
// does only setns (and, to enter a pid namespace, one fork): everything
// else (the identity, capabilities, seccomp) stays in Go.
//
// A pid namespace applies only to the children of whoever enters it. Root
// enters it in the parent, for the child it forks (container/nsjoin.go).
// A caller without root can't: the namespace belongs to the container's
// user namespace, where only a process that joined it first has
// CAP_SYS_ADMIN. Then the list names "pid" too, and this process, once in
// every namespace, forks the real init into it with CLONE_PARENT, so the
// init is the parent's own child, tells the parent its pid on the sync
// socket and exits (pid_handoff).
package nsenter

/*
#cgo CFLAGS: -Wall
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

// The soft RLIMIT_NOFILE the process started with, before the Go runtime
// raised it; kept here rather than in the environment, because a setenv of
// a new name moves glibc's environ off the stack, where Go reads it, and
// every unsetenv after it would then go unseen by Go.
static unsigned long long nofile_soft;
static int nofile_known;

static int start_nofile(unsigned long long *soft) {
	*soft = nofile_soft;
	return nofile_known;
}

// format_report is the sync-socket message for a failed call ("setns
// mnt", "fork into the pid namespace"), in the JSON the Go side's message
// type decodes (a Go unit test checks that).
static int format_report(char *msg, size_t size, const char *call, int err) {
	return snprintf(msg, size,
		"{\"Type\":\"error\",\"Step\":\"join namespace\",\"Err\":\"%s: %s\",\"Code\":125}",
		call, strerror(err));
}

// report writes one sync-socket message, so the parent sees which
// call failed rather than an unexplained exit.
static void report(const char *call, int err) {
	const char *fdenv = getenv("MINIRUN_INIT_FD");
	char msg[256];
	int n = format_report(msg, sizeof msg, call, err);
	// The parent prints what the socket carries; stderr only when there
	// is no socket to tell, or else the error would be printed twice.
	if (fdenv == NULL || write(atoi(fdenv), msg, n) != n)
		dprintf(2, "minirun: join namespace: %s: %s\n", call, strerror(err));
	_exit(125);
}

// format_pid is the sync-socket message that hands the parent the pid of
// the init forked into the pid namespace (Go's message type, "pid" with
// the pid in Code).
static int format_pid(char *msg, size_t size, long pid) {
	return snprintf(msg, size, "{\"Type\":\"pid\",\"Code\":%ld}", pid);
}

// pid_handoff forks the process that goes on into the pid namespace just
// joined. CLONE_PARENT makes it a child of our parent, which waits on it
// as on any child, and gets its pid here. This process then exits without
// running anything: it is in the container's namespaces, but not its pid
// namespace, and holds nothing the child does not.
static void pid_handoff(int pdeathsig) {
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0)
		report("fork into the pid namespace", errno);
	if (pid == 0) {
		// A fork clears the parent-death signal; the parent is ours.
		if (pdeathsig)
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		return;
	}
	const char *fdenv = getenv("MINIRUN_INIT_FD");
	char msg[64];
	int n = format_pid(msg, sizeof msg, pid);
	if (fdenv == NULL || write(atoi(fdenv), msg, n) != n) {
		kill(pid, SIGKILL);
		_exit(125);
	}
	_exit(0);
}

// The timer slack this process was started with, in ns (0: unknown), and
// the one quiet_runtime gives it: package timerslack says why, and has
// the same number.
static unsigned long caller_slack;
#define RUNTIME_TIMER_SLACK 1000000UL

static unsigned long start_slack(void) {
	return caller_slack;
}

// quiet_runtime gives this thread, and so every thread the Go runtime
// will make, RUNTIME_TIMER_SLACK, and keeps the caller's for the
// processes minirun starts (timerslack.Start, and the init's locked
// thread). Before anything else: the runtime's monitor thread starts
// sleeping in 20 µs steps as soon as the runtime is up, package
// initialisers included. A caller's slack already at least as large
// stays.
static void quiet_runtime(void) {
	int s = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (s <= 0 || (unsigned long)s >= RUNTIME_TIMER_SLACK)
		return;
	if (prctl(PR_SET_TIMERSLACK, RUNTIME_TIMER_SLACK, 0, 0, 0) == 0)
		caller_slack = s;
}

// Entries are "FD:NAME", comma-separated, in the order to join (user
// first). A "pid" entry is joined in its turn, and the fork into it
// (pid_handoff) comes after the last.
__attribute__((constructor)) static void minirun_nsenter(void) {
	quiet_runtime();
	// A foreground run's reaper (container/reaper.go) has nothing to do
	// until the runtime's end closes the pipe on fd 3, and usually it is
	// killed before that. Waiting here, before the Go runtime starts,
	// costs the run a fork and an exec, not a Go start-up.
	if (getenv("MINIRUN_REAPER") != NULL) {
		char b;
		for (;;) {
			ssize_t n = read(3, &b, 1);
			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
		return; // EOF: Go does the clean-up
	}
	// A rootless init whose uid/gid maps take subordinate ranges waits
	// here, still dumpable, while the parent runs newuidmap and
	// newgidmap on it: they refuse a process whose /proc/PID is not the
	// caller's, and a non-dumpable one's belongs to root. Nothing else is
	// in its namespaces yet. EOF without the byte: the parent failed.
	const char *usync = getenv("MINIRUN_USERNS_SYNC");
	if (usync != NULL) {
		int fd = atoi(usync);
		char b;
		ssize_t n;
		do
			n = read(fd, &b, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(125);
		close(fd);
		unsetenv("MINIRUN_USERNS_SYNC");
	}
	// An init (or exec init) is not dumpable until its final execve,
	// which resets the flag: until then it holds the sync socket and,
	// before seccomp is loaded, runs unfiltered, so no process in the
	// container's pid namespace may ptrace it, read its memory or take
	// its fds with pidfd_getfd. As early as possible: before the Go
	// runtime starts and before any namespace is joined.
	if (getenv("MINIRUN_INIT_FD") != NULL)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	// The Go runtime raises the soft RLIMIT_NOFILE as it starts. An init
	// puts this value back before its raw execve; the parent passes its
	// own to an init that has no C pre-main (the pure Go one).
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		nofile_soft = rl.rlim_cur;
		nofile_known = 1;
	}
	// Go's own Pdeathsig can't be used for a child forked into a joined
	// pid namespace: Go then sees getppid() == 0, takes the parent for
	// dead and kills the child at once. So the parent asks for it here.
	int pdeathsig = getenv("MINIRUN_PDEATHSIG") != NULL;
	if (pdeathsig) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		unsetenv("MINIRUN_PDEATHSIG");
	}
	const char *list = getenv("MINIRUN_NSENTER");
	if (list == NULL || *list == '\0')
		return;
	char *copy = strdup(list), *save = NULL;
	int pidns = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *name = strchr(tok, ':');
		int fd = atoi(tok);
		if (setns(fd, 0) < 0) {
			char call[64];
			snprintf(call, sizeof call, "setns %s", name ? name + 1 : tok);
			report(call, errno);
		}
		close(fd);
		pidns = pidns || (name && strcmp(name + 1, "pid") == 0);
	}
	free(copy);
	unsetenv("MINIRUN_NSENTER");
	if (pidns)
		pid_handoff(pdeathsig);
}
*/
import "C"

import (
	"syscall"
	"unsafe"

	"github.com/minirun/minirun/internal/timerslack"
)

func init() {
	if ns := uint64(C.start_slack()); ns != 0 {
		timerslack.SetCaller(ns)
	}
}

// StartNofile is the soft RLIMIT_NOFILE this process started with, noted
// by the C pre-main before the Go runtime raised it.
func StartNofile() (uint64, bool) {
	var soft C.ulonglong
	ok := C.start_nofile(&soft) != 0
	return uint64(soft), ok
}

// PidMessage is what the C pre-main writes on the sync socket to hand the
// parent the pid of the process it forked into a joined pid namespace,
// for the Go side's tests.
func PidMessage(pid int) []byte {
	buf := make([]byte, 64)
	n := C.format_pid((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), C.long(pid))
	return buf[:min(int(n), len(buf)-1)]
}

// ReportMessage is what the C pre-main writes on the sync socket when it
// can't join namespace ns (errno err), for the Go side's tests.
func ReportMessage(ns string, err syscall.Errno) []byte {
	cns := C.CString("setns " + ns)
	defer C.free(unsafe.Pointer(cns))
	buf := make([]byte, 256)
	n := C.format_report((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), cns, C.int(err))
	return buf[:min(int(n), len(buf)-1)]
}
