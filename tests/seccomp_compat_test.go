package tests

import (
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Profiles written before a syscall existed must still start: the runtime
// does everything it can before loading the filter, so it never needs
// close_range, clone3, faccessat2, openat2 or epoll_pwait2 under it.
func TestProfileWithoutNewSyscallsStarts(t *testing.T) {
	needRoot(t)
	added := []string{"close_range", "clone3", "faccessat2", "openat2", "epoll_pwait2"}
	for _, nnp := range []bool{false, true} {
		s := defaultSpec(t, "sh", "-c", "echo started")
		s.Process.NoNewPrivileges = nnp
		if s.Linux.Seccomp == nil {
			t.Fatal("minirun spec wrote no seccomp profile")
		}
		removed := 0
		for i := range s.Linux.Seccomp.Syscalls {
			r := &s.Linux.Seccomp.Syscalls[i]
			n := len(r.Names)
			r.Names = slices.DeleteFunc(r.Names, func(n string) bool { return slices.Contains(added, n) })
			removed += n - len(r.Names)
		}
		if removed == 0 {
			t.Fatal("Docker's default profile lists none of the syscalls added since 2020")
		}
		s.Linux.Seccomp.Syscalls = slices.DeleteFunc(s.Linux.Seccomp.Syscalls, func(r specs.LinuxSyscall) bool { return len(r.Names) == 0 })
		if r := runSpec(t, s, ""); r.code != 0 || r.stdout != "started\n" {
			t.Fatalf("no_new_privs=%v: Docker's default without %v: %+v", nnp, added, r)
		}
	}
}

// A deny-all profile that allows execve, exactly what the runtime does
// after loading it (container/initproc/initplan.go, postFilterSyscalls, plus the Go
// runtime's few) and what busybox's `true` needs, starts. Denied calls get
// EPERM, so any new step the runtime takes under the filter fails the run.
func TestMinimalProfileStarts(t *testing.T) {
	needRoot(t)
	runtimeAfter := map[bool][]string{
		true:  {"execve"},
		false: {"execve", "capset", "sendmsg", "read", "close", "prlimit64"},
	}
	// What the Go runtime of the init may call in the moment between the
	// filter and execve (container/initproc/seccompcheck.go): the ones it can't
	// survive losing, and the ones a thread waking up then may make.
	goRuntime := []string{"exit_group", "futex", "epoll_pwait", "rt_sigreturn", "rt_sigprocmask", "write",
		"nanosleep", "sched_yield", "getpid", "gettid", "tgkill", "madvise", "mmap", "munmap", "sigaltstack"}
	busyboxTrue := []string{"arch_prctl", "brk", "exit_group", "getrandom", "getuid", "mprotect", "prctl", "prlimit64", "readlink", "rseq", "set_robust_list", "set_tid_address"}
	eperm := uint(1)
	for _, nnp := range []bool{true, false} {
		for _, split := range []bool{false, true} {
			s := defaultSpec(t, "true")
			s.Process.NoNewPrivileges = nnp
			names := append(append(append([]string{}, runtimeAfter[nnp]...), goRuntime...), busyboxTrue...)
			s.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction:   specs.ActErrno,
				DefaultErrnoRet: &eperm,
				Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls:        []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
			}
			if !split {
				if r := runSpec(t, s, ""); r.code != 0 {
					t.Fatalf("no_new_privs=%v: run under a minimal profile: %+v", nnp, r)
				}
				continue
			}
			// create + start: the wait for start happens under the filter.
			id, _ := createContainer(t, s)
			mr(t, "start", id)
			wantStatus(t, id, specs.StateStopped)
			mr(t, "delete", id)
		}
	}
}

// A profile under which no runtime could start a container is still
// refused before anything starts, naming the syscall.
func TestProfileDenyingExecveIsRefused(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	// Docker's default action is ERRNO: a name it no longer lists is denied.
	for i := range s.Linux.Seccomp.Syscalls {
		r := &s.Linux.Seccomp.Syscalls[i]
		r.Names = slices.DeleteFunc(r.Names, func(n string) bool { return n == "execve" })
	}
	s.Linux.Seccomp.Syscalls = slices.DeleteFunc(s.Linux.Seccomp.Syscalls, func(r specs.LinuxSyscall) bool { return len(r.Names) == 0 })
	checkFailure(t, runSpec(t, s, ""), exitRunc, "seccomp", "execve", "no container could start")
}
