// Package watch lets a run see its seccomp filter work: the denial report
// (--seccomp-report) lists each call the profile refused and the entry
// that refused it, and the recorder (--seccomp-record) writes the profile
// of the calls the container made.
//
// It is apart from package seccomp because a start needs it only when a
// run asks for one of the two: the supervisor, the decoding of syscall
// arguments, the attribution to a profile's entries and the writing of
// profiles are none of the hot path's business. It takes the program
// seccomp compiled and rewrites it; seccomp never imports it. The
// container package serves a Watcher when its options carry one.
//
// Both are a Watcher (watch.go): a rewritten program that returns
// SECCOMP_RET_USER_NOTIF where the kernel would have answered by itself, and
// a supervisor in minirun's parent process, on the host, that reads the
// notifications from the listener fd the init sends it (the "listener"
// message of the init protocol) and answers each one.
//
// The report (--seccomp-report) rewrites only the ERRNO returns, the ENOSYS
// stub's included. Allowed calls never leave the kernel, so they cost what
// they cost under the profile itself; a refused call costs a round trip to
// the supervisor, which finds the call's action by running the original
// program in the interpreter (seccomp/internal/bpf) on the notification's
// seccomp_data and answers with exactly that errno. Nothing else changes:
//   - ERRNO(n): notified, answered -n. The process sees the same errno.
//   - KILL_PROCESS, KILL_THREAD: left to the kernel. A notification can't
//     kill the way the kernel does (SIGSYS with si_code SYS_SECCOMP, a core
//     dump), so these are found afterwards, in the audit record the kernel
//     logs for every seccomp kill (/dev/kmsg, read from the start of the
//     run) and in the init's exit signal.
//   - TRAP: left to the kernel too, for the same reason (a handler may read
//     siginfo's si_syscall); found like a kill when it kills.
//   - TRACE: left to the kernel. Without a tracer it is ENOSYS, with one it
//     is the tracer's decision, which the supervisor could not know.
//   - ALLOW, LOG: unchanged.
//
// One call more is notified: seccomp(2) asking for a listener, where the
// profile allows it (listenerguard.go). USER_NOTIF ranks below ERRNO, so
// without it a container outliving minirun (whose listener is then gone)
// could install a listener of its own, whose filter, the newer, would get
// the refused calls and could answer CONTINUE.
//
// Each refused call is attributed to the entry that produced it (Source,
// attribute.go): the profile as the user wrote it, Docker's includes and
// excludes resolved entry by entry by moby/profiles, so the index named is
// the one in the file, and entries that name the call but did not apply
// (CAP_SYS_ADMIN missing, an argument mask) say what would make them apply.
//
// The recorder (--seccomp-record) rewrites the profile's ALLOW and LOG
// returns instead, so the container runs under its profile (Docker's default
// unless told otherwise) and every call the profile lets through is
// notified and answered SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel runs it
// as if allowed, and the recorded profile can only be narrower than the one
// recorded under. The supervisor keeps a set of (ABI, number, deciding
// argument) already seen, so a repeated call costs a map lookup and the
// notification's round trip. In front sits a stub that lets the calls the
// runtime itself makes after loading the filter (container/initproc.SeccompRequired)
// through in the kernel: the init sends the listener with sendmsg, so that
// one could not wait for a supervisor that does not have the fd yet, and
// every profile that starts must allow them anyway, so the recorder writes
// them into every profile as their own entry. The init's other calls between
// the filter and execve (the Go runtime's) come from the runtime's binary,
// which the supervisor recognises by /proc/PID/exe until the first call made
// from anything else: that one is the container's, after its execve, whose
// thread teardown took the init's pending calls with it. So recording starts
// exactly at the container's execve.
//
// The listener fd reaches the parent two ways. The init names it before
// loading the filter (the lowest free fd, which the kernel will give it),
// and the parent takes it with pidfd_getfd as soon as it exists; the init's
// "listener" message after the load is the fallback. A Go runtime thread of
// the init blocked on a notification before anyone can answer it may hold
// what the init's main thread needs to send that message (a runtime lock, a
// stop of the world), so the message alone could deadlock.
//
// Why notification and not the alternatives: SECCOMP_RET_TRACE needs a
// ptrace tracer, which stops the process twice per call and takes ptrace
// away from the container's own debuggers; SECCOMP_RET_LOG goes through the
// kernel's rate-limited printk or auditd, loses records under load, and
// carries no arguments; eBPF needs CAP_SYS_ADMIN or BTF. A notification
// carries the arguments, the ABI and the pid, needs nothing the runtime does
// not already hold, and with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6)
// the two threads hand the CPU to each other directly, the supervisor
// waiting in the receive ioctl itself: a notified call then costs about
// 3 µs here (scripts/bench-seccomp-watch.sh).
package watch
