// Package nsenter joins existing namespaces before the Go runtime starts.
// Import it for its side effect in the minirun binary.
//
// Why C: setns(2) into a mount namespace is refused to a process that
// shares its filesystem information with other threads, and into a user
// namespace to any multithreaded process. The Go runtime starts several
// threads before main, so no Go code can ever make those calls. A C
// constructor runs before the runtime, while the process still has one
// thread. It does nothing unless the parent set MINIRUN_NSENTER, and it
// does only setns: everything else (the identity, capabilities, seccomp,
// the pid namespace, which the parent enters for its child) stays in Go.
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

// format_report is the sync-socket message for a failed setns, in the
// JSON the Go side's message type decodes (a Go unit test checks that).
static int format_report(char *msg, size_t size, const char *ns, int err) {
	return snprintf(msg, size,
		"{\"Type\":\"error\",\"Step\":\"join namespace\",\"Err\":\"setns %s: %s\",\"Code\":125}",
		ns, strerror(err));
}

// report writes one sync-socket message, so the parent sees which
// namespace failed rather than an unexplained exit.
static void report(const char *ns, int err) {
	const char *fdenv = getenv("MINIRUN_INIT_FD");
	char msg[256];
	int n = format_report(msg, sizeof msg, ns, err);
	// The parent prints what the socket carries; stderr only when there
	// is no socket to tell, or else the error would be printed twice.
	if (fdenv == NULL || write(atoi(fdenv), msg, n) != n)
		dprintf(2, "minirun: join namespace: setns %s: %s\n", ns, strerror(err));
	_exit(125);
}

// Entries are "FD:NAME", comma-separated, in the order to join (user first).
__attribute__((constructor)) static void minirun_nsenter(void) {
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
	if (getenv("MINIRUN_PDEATHSIG") != NULL) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		unsetenv("MINIRUN_PDEATHSIG");
	}
	const char *list = getenv("MINIRUN_NSENTER");
	if (list == NULL || *list == '\0')
		return;
	char *copy = strdup(list), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *name = strchr(tok, ':');
		int fd = atoi(tok);
		if (setns(fd, 0) < 0)
			report(name ? name + 1 : tok, errno);
		close(fd);
	}
	free(copy);
	unsetenv("MINIRUN_NSENTER");
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// StartNofile is the soft RLIMIT_NOFILE this process started with, noted
// by the C pre-main before the Go runtime raised it.
func StartNofile() (uint64, bool) {
	var soft C.ulonglong
	ok := C.start_nofile(&soft) != 0
	return uint64(soft), ok
}

// ReportMessage is what the C pre-main writes on the sync socket when it
// can't join namespace ns (errno err), for the Go side's tests.
func ReportMessage(ns string, err syscall.Errno) []byte {
	cns := C.CString(ns)
	defer C.free(unsafe.Pointer(cns))
	buf := make([]byte, 256)
	n := C.format_report((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), cns, C.int(err))
	return buf[:min(int(n), len(buf)-1)]
}
