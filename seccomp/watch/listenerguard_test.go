package watch

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
)

// The report's program notifies seccomp(2) asking for a listener where
// the profile allows it (so no listener of the container's can outlive
// minirun's), and is the profile's program for everything else.
func TestReportGuardsListener(t *testing.T) {
	def, err := seccomp.DefaultProfile(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		profile *specs.LinuxSeccomp
		guarded bool
	}{
		{"Docker's default", def, true},
		{"seccomp refused", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"seccomp"}, Action: specs.ActErrno}}}, false},
	} {
		p, err := seccomp.Compile(c.profile)
		if err != nil {
			t.Fatal(err)
		}
		q, err := NewReport(nil).Program(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, abi := range []string{"x86_64", "x86", "x32"} {
			for _, tc := range []struct {
				args [6]uint64
				want uint32
			}{
				{[6]uint64{seccompSetModeFilter, filterNewListener}, seccomp.RetUserNotif},
				{[6]uint64{seccompSetModeFilter, filterNewListener | 1}, seccomp.RetUserNotif},             // with TSYNC
				{[6]uint64{1<<32 | seccompSetModeFilter, 1<<32 | filterNewListener}, seccomp.RetUserNotif}, // op and flags are unsigned int
				{[6]uint64{seccompSetModeFilter, 0}, 0},
				{[6]uint64{0, filterNewListener}, 0},
			} {
				orig, err := p.Evaluate(abi, "seccomp", tc.args)
				if err != nil {
					t.Fatal(err)
				}
				got, err := q.Evaluate(abi, "seccomp", tc.args)
				if err != nil {
					t.Fatal(err)
				}
				want := orig
				if orig&unix.SECCOMP_RET_ACTION_FULL == seccomp.RetErrno {
					want = seccomp.RetUserNotif
				}
				if tc.want != 0 && c.guarded && (orig == seccomp.RetAllow) {
					want = tc.want
				}
				if got != want {
					t.Errorf("%s, %s seccomp%v: %s, want %s", c.name, abi, tc.args[:2], seccomp.ActionString(got), seccomp.ActionString(want))
				}
			}
		}
		for _, name := range []string{"read", "openat", "unshare", "mount"} {
			orig, _ := p.Evaluate("x86_64", name, [6]uint64{1, 8})
			got, _ := q.Evaluate("x86_64", name, [6]uint64{1, 8})
			if orig&unix.SECCOMP_RET_ACTION_FULL == seccomp.RetErrno {
				orig = seccomp.RetUserNotif
			}
			if got != orig {
				t.Errorf("%s, %s: %s, want %s", c.name, name, seccomp.ActionString(got), seccomp.ActionString(orig))
			}
		}
	}
}
