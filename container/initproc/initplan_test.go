package initproc

import (
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container/internal/spectest"
)

// The init's ordering rules (initplan.go), checked on the plan for each
// shape of config. Reading a plan makes no system call: no root needed.

type shape struct {
	name       string
	noMountNS  bool
	userNS     bool
	noNewPrivs bool
	terminal   bool
	hooks      bool
	noSeccomp  bool
	rlimits    bool
	ambient    bool
	cgroup2    bool
	exec       bool
}

func (sh shape) plan(t *testing.T) []string {
	t.Helper()
	s := spectest.Spec()
	s.Root = &specs.Root{Path: "/rootfs"}
	s.Process.NoNewPrivileges = sh.noNewPrivs
	s.Process.Terminal = sh.terminal
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	if sh.noMountNS {
		s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.MountNamespace })
	}
	if sh.userNS {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	}
	if sh.hooks {
		h := []specs.Hook{{Path: "/bin/true"}}
		s.Hooks = &specs.Hooks{CreateContainer: h, StartContainer: h}
	}
	if sh.rlimits {
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 100, Hard: 100}}
	} else {
		s.Process.Rlimits = nil
	}
	if sh.ambient {
		s.Process.Capabilities.Ambient = []string{"CAP_CHOWN"}
	}
	cfg := &Config{Spec: s, Rootfs: "/rootfs", ExecFifoFd: 4, Exec: sh.exec}
	if !sh.noSeccomp {
		cfg.Seccomp = placeholderProgram
	}
	in := newInitRunShape(cfg, sh.cgroup2)
	steps := in.initSteps()
	if sh.exec {
		steps = in.execSteps()
	}
	names := make([]string, len(steps))
	for i, st := range steps {
		names[i] = st.name
	}
	return names
}

func before(t *testing.T, sh shape, names []string, a, b string) {
	t.Helper()
	i, j := slices.Index(names, a), slices.Index(names, b)
	if i < 0 || j < 0 || i >= j {
		t.Errorf("%s: %q (at %d) must come before %q (at %d) in %q", sh.name, a, i, b, j, names)
	}
}

func absent(t *testing.T, sh shape, names []string, a string) {
	t.Helper()
	if slices.Contains(names, a) {
		t.Errorf("%s: %q must not be in %q", sh.name, a, names)
	}
}

var shapes = []shape{
	{name: "docker default"},
	{name: "no_new_privs", noNewPrivs: true},
	{name: "no mount namespace", noMountNS: true},
	{name: "user namespace", userNS: true},
	{name: "terminal", terminal: true},
	{name: "hooks", hooks: true},
	{name: "hooks and no_new_privs", hooks: true, noNewPrivs: true},
	{name: "unconfined", noSeccomp: true},
	{name: "rlimits", rlimits: true},
	{name: "cgroup2 host", cgroup2: true},
	{name: "exec", exec: true},
	{name: "exec with no_new_privs", exec: true, noNewPrivs: true},
}

func TestInitOrder(t *testing.T) {
	for _, sh := range shapes {
		n := sh.plan(t)
		if n[len(n)-1] != stepExecve {
			t.Errorf("%s: the last step is %q, not execve", sh.name, n[len(n)-1])
		}
		if !sh.exec {
			// Mounts name host paths, so they come before the root moves.
			root := stepPivotRoot
			if sh.noMountNS {
				root = stepChroot
				absent(t, sh, n, stepPivotRoot)
				absent(t, sh, n, "rootfs propagation")
			} else {
				absent(t, sh, n, stepChroot)
			}
			before(t, sh, n, stepMounts, root)
			before(t, sh, n, stepDevices, root)
			// The container's own /proc, and /proc/sys still writable.
			before(t, sh, n, root, stepSysctls)
			before(t, sh, n, stepSysctls, stepReadonly)
			before(t, sh, n, stepSysctls, stepMasked)
			if sh.cgroup2 {
				before(t, sh, n, stepCgroupNS, stepMounts)
			} else {
				before(t, sh, n, stepMounts, stepCgroupNS)
			}
			if sh.hooks {
				before(t, sh, n, stepCreateHook, root)
				before(t, sh, n, stepWaitStart, stepStartHooks)
			}
			before(t, sh, n, stepIdentity, stepWaitStart)
		} else {
			absent(t, sh, n, stepMounts)
			absent(t, sh, n, stepWaitStart)
		}
		if sh.terminal {
			before(t, sh, n, stepConsole, stepIdentity)
		}
		switch {
		case sh.noSeccomp:
			absent(t, sh, n, stepSeccomp)
		case sh.noNewPrivs:
			// The filter is the last step before execve, and no_new_privs
			// comes before the identity change.
			if n[len(n)-2] != stepSeccomp {
				t.Errorf("%s: with no_new_privs seccomp must come right before execve: %q", sh.name, n)
			}
			before(t, sh, n, stepNoNewPrivs, stepIdentity)
			absent(t, sh, n, stepDropAdmin)
		default:
			// Loading needs CAP_SYS_ADMIN: after the identity, which
			// holds it, before the drop that removes it.
			before(t, sh, n, stepIdentity, stepSeccomp)
			before(t, sh, n, stepSeccomp, stepDropAdmin)
			if !sh.exec {
				before(t, sh, n, stepSeccomp, stepWaitStart)
			}
		}
		if sh.rlimits {
			before(t, sh, n, stepIdentity, stepRlimits)
		}
	}
}

// The syscalls the runtime makes after loading the container's filter are
// a promise to every profile written by others: a profile that allows
// these (and what the container's own process needs) starts. Growing the
// list breaks profiles that work today, so it takes a change here too;
// tests/seccomp_compat_test.go proves the list complete with real
// containers.
func TestPostFilterSyscallsDoNotGrow(t *testing.T) {
	for _, tc := range []struct {
		sh   shape
		want []string
	}{
		{shape{name: "no_new_privs", noNewPrivs: true}, []string{"execve"}},
		{shape{name: "no_new_privs, rlimits, hooks", noNewPrivs: true, rlimits: true, hooks: true}, []string{"execve"}},
		{shape{name: "docker default"}, []string{"capset", "sendmsg", "read", "close", "execve"}},
		{shape{name: "rlimits", rlimits: true}, []string{"capset", "sendmsg", "read", "close", "prlimit64", "execve"}},
		{shape{name: "ambient", ambient: true}, []string{"capset", "prctl", "sendmsg", "read", "close", "execve"}},
		{shape{name: "exec", exec: true}, []string{"capset", "execve"}},
		{shape{name: "exec no_new_privs", exec: true, noNewPrivs: true}, []string{"execve"}},
	} {
		s := spectest.Spec()
		s.Process.NoNewPrivileges = tc.sh.noNewPrivs
		s.Process.Rlimits = nil
		if tc.sh.rlimits {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 100, Hard: 100}}
		}
		if tc.sh.ambient {
			s.Process.Capabilities.Ambient = []string{"CAP_CHOWN"}
		}
		if tc.sh.hooks {
			s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true"}}}
		}
		if got := postFilterSyscalls(s, tc.sh.exec); !slices.Equal(got, tc.want) {
			t.Errorf("%s: after the filter the runtime makes %v, documented %v", tc.sh.name, got, tc.want)
		}
	}
}
