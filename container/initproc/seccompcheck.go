package initproc

import (
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Syscalls the init still makes once the filter is loaded: what
// the plan does after it (postFilterSyscalls), what the Go runtime may
// do on its own in that moment, and what reporting a failure takes. A
// profile that denies one of them can never start a container, and the
// init could not even say why, so such a profile is refused before
// anything starts. Nothing else is: a profile that predates close_range,
// clone3 or faccessat2 starts as it does with runc.
//
// The Go runtime's own share is what it can't survive being denied in the
// moment between the filter and execve: a futex or a netpoller wait
// (epoll_pwait) that fails is a fatal error, not an error return. It also
// may call nanosleep, sched_yield, tgkill and the like, but shrugs off a
// denial of those.
var runtimeAfterFilter = []string{"exit_group", "futex", "epoll_pwait", "rt_sigreturn", "rt_sigprocmask", "write"}

// goRuntimeMayCall is what else the init's Go runtime may call in that
// moment, on its own: a thread that wakes up (nanosleep, sched_yield), the
// scheduler preempting one (tgkill, getpid, gettid), or the heap growing
// (mmap, munmap, madvise). A denial of these is survived often but not
// always, so they are not required of a profile, but a profile minirun
// writes itself (the recorder's) allows them, and the report never
// notifies them.
// clone is not among them: a recorded profile allows it only without
// namespace flags, and a runtime entry would allow it whole.
var goRuntimeMayCall = []string{"nanosleep", "sched_yield", "getpid", "gettid", "tgkill", "mmap", "munmap", "madvise", "sigaltstack", "rt_sigaction"}

// NeededAfterFilter is what a profile must allow for the init to start
// under it: execve first (the plainest refusal, the seed article's
// deny-all, should say so), what the plan does after the filter for s
// (exec: an exec'd process's), and the Go runtime's own share.
func NeededAfterFilter(s *specs.Spec, exec bool) []string {
	return append(append([]string{"execve"}, postFilterSyscalls(s, exec)...), runtimeAfterFilter...)
}

// SeccompRequired is every syscall the runtime may make after loading a
// filter for spec s, with or without no_new_privs (without is the longer
// list), and what its Go runtime may call in that moment: what a recorded
// profile always lists so it replays either way, and what the report
// leaves to the kernel.
func SeccompRequired(s *specs.Spec) []string {
	_, required := AfterFilter(s)
	return required
}

// AfterFilter is NeededAfterFilter(s, false) and SeccompRequired(s), for a
// start that checks its profile and may watch it: the plan's tail is read
// for s as it is and for s without no_new_privs.
func AfterFilter(s *specs.Spec) (needed, required []string) {
	c := *s
	if s.Process != nil {
		p := *s.Process
		p.NoNewPrivileges = false
		c.Process = &p
	}
	asIs, withPrivs := postFilterSyscalls(s, false), postFilterSyscalls(&c, false)
	needed = append(append([]string{"execve"}, asIs...), runtimeAfterFilter...)
	for _, n := range append(append(append([]string{"execve"}, withPrivs...), runtimeAfterFilter...), goRuntimeMayCall...) {
		if !slices.Contains(required, n) {
			required = append(required, n)
		}
	}
	return needed, required
}
