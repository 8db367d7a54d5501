package container

import (
	"slices"
	"testing"
)

// The syscalls the runtime makes after loading the container's filter are
// a promise to every profile written by others: a profile that allows
// these (and what the container's own process needs) starts. Growing the
// list breaks profiles that work today, so it takes a change here too, and
// tests/seccomp_compat_test.go proves the list complete with real
// containers.
func TestPostFilterSyscallsDoNotGrow(t *testing.T) {
	for _, tc := range []struct {
		noNewPrivs bool
		want       []string
	}{
		{true, []string{"execve"}},
		{false, []string{"execve", "capset", "sendmsg", "read", "close", "prlimit64"}},
	} {
		if got := postFilterSyscalls(tc.noNewPrivs); !slices.Equal(got, tc.want) {
			t.Errorf("no_new_privs=%v: after the filter the runtime makes %v, documented %v", tc.noNewPrivs, got, tc.want)
		}
	}
}
