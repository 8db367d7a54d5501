package initproc

import (
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container/internal/spectest"
)

// The init's ordering rules (initplan.go), checked on the calls the plan
// makes, recorded (sys_test.go), for each shape of config: no root needed.

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
	// awaitParent: the front's set-up is still under way (AwaitParent).
	awaitParent bool
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
	{name: "network still being set up", awaitParent: true},
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
		// startContainer hooks run under the filter, as runc runs them.
		{shape{name: "no_new_privs, rlimits, hooks", noNewPrivs: true, rlimits: true, hooks: true}, []string{"clone", "execve", "wait4", "pipe2", "read", "write", "close", "prlimit64"}},
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
