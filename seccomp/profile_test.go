package seccomp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func writeProfile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadProfileErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // substrings of the error
	}{
		{"malformed JSON", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n    {\"names\": [\"chmod\"] \"action\": \"SCMP_ACT_ALLOW\"}\n  ]\n}",
			[]string{"malformed JSON", "line 4", "column 25"}},
		{"wrong type", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "chmod", "action": "SCMP_ACT_ALLOW"}]}`,
			[]string{"syscalls.names", "line 1"}},
		{"unknown default action", `{"defaultAction": "SCMP_ACT_DENY"}`,
			[]string{"defaultAction", `unknown action "SCMP_ACT_DENY"`}},
		{"missing default action", `{"syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO"}]}`,
			[]string{"defaultAction", "missing"}},
		{"empty profile", `{}`, []string{"defaultAction", "missing"}},
		{"unknown rule action", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO"}, {"names": ["chown"], "action": "DENY"}]}`,
			[]string{"syscalls[1].action", `unknown action "DENY"`}},
		{"unknown arch", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]}`,
			[]string{"architectures[1]", "SCMP_ARCH_Z80"}},
		{"unknown archMap arch", `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_PDP11"]}]}`,
			[]string{"archMap[0].subArchitectures[0]", "SCMP_ARCH_PDP11"}},
		{"both architectures and archMap", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}`,
			[]string{"archMap", "both architectures and archMap"}},
		{"unknown operator", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]}`,
			[]string{"syscalls[0].args[0].op", "SCMP_CMP_LIKE"}},
		{"arg index out of range", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`,
			[]string{"syscalls[0].args[0].index"}},
		{"unknown flag", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}`,
			[]string{"flags[0]", "SECCOMP_FILTER_FLAG_FAST"}},
		{"errnoRet on ALLOW", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5}]}`,
			[]string{"syscalls[0].errnoRet", "SCMP_ACT_ALLOW"}},
		{"defaultErrnoRet on KILL", `{"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 5}`,
			[]string{"defaultErrnoRet"}},
		{"name and names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "chmod", "names": ["chown"], "action": "SCMP_ACT_ERRNO"}]}`,
			[]string{"syscalls[0]", "both name and names"}},
		{"notify default", `{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent.sock"}`,
			[]string{"defaultAction", "NOTIFY"}},
		{"notify on write", `{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock", "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_NOTIFY"}]}`,
			[]string{"syscalls[0].action", "write"}},
		{"notify without listenerPath", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}`,
			[]string{"listenerPath", "required"}},
		{"empty names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}`,
			[]string{"syscalls[0].names"}},
		{"bad minKernel", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "five"}}]}`,
			[]string{"invalid kernel version"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeProfile(t, tc.body)
			_, err := LoadProfile(path, nil)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line", msg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q is not ErrInvalid", msg)
			}
		})
	}
}

func TestLoadProfileUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.json")
	_, err := LoadProfile(path, nil)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

func TestValidateOCI(t *testing.T) {
	one := uint(1)
	tests := []struct {
		name string
		s    specs.LinuxSeccomp
		want string
	}{
		{"ok", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}, ""},
		{"unknown action", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActErrno}, {Names: []string{"a"}, Action: specs.ActErrno},
			{Names: []string{"b"}, Action: specs.ActErrno}, {Names: []string{"c"}, Action: "SCMP_ACT_MAYBE"}}}, "syscalls[3].action"},
		{"errnoRet on LOG", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActLog, ErrnoRet: &one}}}, "syscalls[0].errnoRet"},
		{"errnoRet on TRACE is fine", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActTrace, ErrnoRet: &one}}}, ""},
		{"unknown arch", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{"SCMP_ARCH_VAX"}}, "architectures[0]"},
		{"notify default", specs.LinuxSeccomp{DefaultAction: specs.ActNotify, ListenerPath: "/x"}, "defaultAction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(&tc.s)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want prefix %q", err, tc.want)
			}
		})
	}
}

// A custom Docker-format profile: old "name" form, errnoRet, args with
// MASKED_EQ, an include by cap, an exclude by arch, minKernel, flags.
const customProfile = `{
	"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
	"flags": ["SECCOMP_FILTER_FLAG_LOG"],
	"syscalls": [
		{"name": "chmod", "action": "SCMP_ACT_ERRNO"},
		{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100},
		{"names": ["unshare"], "action": "SCMP_ACT_ERRNO",
		 "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]},
		{"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
		{"names": ["getppid"], "action": "SCMP_ACT_TRAP"},
		{"names": ["getpgrp"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
		{"names": ["getsid"], "action": "SCMP_ACT_LOG"},
		{"names": ["sync"], "action": "SCMP_ACT_KILL"},
		{"names": ["syncfs"], "action": "SCMP_ACT_KILL_THREAD"},
		{"names": ["acct"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_PACCT"]}},
		{"names": ["swapon"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["s390x"]}},
		{"names": ["swapoff"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "3.0"}},
		{"names": ["vhangup"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "99.0"}},
		{"names": ["no_such_syscall_xyz"], "action": "SCMP_ACT_ERRNO"}
	]
}`

func TestCustomProfile(t *testing.T) {
	path := writeProfile(t, customProfile)
	var warned []string
	old := Warn
	Warn = func(m string) { warned = append(warned, m) }
	defer func() { Warn = old }()

	cases := []struct {
		caps    []string
		arch    string
		syscall string
		args    [6]uint64
		want    string
	}{
		{nil, "x86_64", "chmod", [6]uint64{}, "ERRNO(EPERM)"},
		{nil, "x86", "chmod", [6]uint64{}, "ERRNO(EPERM)"},
		{nil, "x86_64", "mkdir", [6]uint64{}, "ERRNO(100)"},
		{nil, "x86_64", "unshare", [6]uint64{unix.CLONE_NEWUSER}, "ERRNO(EPERM)"},
		{nil, "x86_64", "unshare", [6]uint64{unix.CLONE_NEWUSER | unix.CLONE_NEWNS}, "ERRNO(EPERM)"},
		{nil, "x86_64", "unshare", [6]uint64{unix.CLONE_NEWNS}, "ALLOW"},
		{nil, "x86_64", "unshare", [6]uint64{1<<32 | unix.CLONE_NEWNS}, "ALLOW"},
		{nil, "x86_64", "kill", [6]uint64{1, 9}, "KILL_PROCESS"},
		{nil, "x86_64", "kill", [6]uint64{1, 15}, "ALLOW"},
		{nil, "x86_64", "getppid", [6]uint64{}, "TRAP"},
		{nil, "x86_64", "getpgrp", [6]uint64{}, "TRACE(7)"},
		{nil, "x86_64", "getsid", [6]uint64{}, "LOG"},
		{nil, "x86_64", "sync", [6]uint64{}, "KILL_THREAD"},
		{nil, "x86_64", "syncfs", [6]uint64{}, "KILL_THREAD"},
		{nil, "x86_64", "acct", [6]uint64{}, "ERRNO(EPERM)"},
		{[]string{"sys_pacct"}, "x86_64", "acct", [6]uint64{}, "ALLOW"},
		{nil, "x86_64", "swapon", [6]uint64{}, "ALLOW"},
		{nil, "x86_64", "swapoff", [6]uint64{}, "ERRNO(EPERM)"},
		{nil, "x86_64", "vhangup", [6]uint64{}, "ALLOW"},
		// defaultAction ALLOW: no ENOSYS stub.
		{nil, "x86_64", "1000", [6]uint64{}, "ALLOW"},
		// x32 is not in the profile: libseccomp's bad-arch action.
		{nil, "x32", "read", [6]uint64{}, "KILL_THREAD"},
	}
	for _, tc := range cases {
		s, err := LoadProfile(path, tc.caps)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		if p.Flags != unix.SECCOMP_FILTER_FLAG_LOG {
			t.Errorf("flags %#x, want LOG", p.Flags)
		}
		ret, err := p.Evaluate(tc.arch, tc.syscall, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := ActionString(ret); got != tc.want {
			t.Errorf("%v %s %s %#x: got %s, want %s", tc.caps, tc.arch, tc.syscall, tc.args[:2], got, tc.want)
		}
	}
	if len(warned) == 0 || !strings.Contains(warned[0], "no_such_syscall_xyz") {
		t.Errorf("no warning for the unknown syscall name: %q", warned)
	}
}

func TestDenyAll(t *testing.T) {
	path := writeProfile(t, `{"defaultAction": "SCMP_ACT_ERRNO"}`)
	s, err := LoadProfile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	for sc, want := range map[string]string{"execve": "ERRNO(EPERM)", "read": "ERRNO(EPERM)", "clone3": "ERRNO(EPERM)", "1000": "ERRNO(ENOSYS)", "400": "ERRNO(ENOSYS)"} {
		ret, err := p.Evaluate("x86_64", sc, [6]uint64{})
		if err != nil {
			t.Fatal(err)
		}
		if ActionString(ret) != want {
			t.Errorf("%s: got %s, want %s", sc, ActionString(ret), want)
		}
	}
}

// A profile older than clone3: clone3 is above the highest number it names,
// so it gets ENOSYS and glibc falls back to clone.
func TestOldProfileNewSyscallENOSYS(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "write", "exit_group", "clone", "execve", "pidfd_open"}, Action: specs.ActAllow},
	}}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	for sc, want := range map[string]string{"clone": "ALLOW", "clone3": "ERRNO(ENOSYS)", "chmod": "ERRNO(EPERM)", "faccessat2": "ERRNO(ENOSYS)"} {
		ret, err := p.Evaluate("x86_64", sc, [6]uint64{})
		if err != nil {
			t.Fatal(err)
		}
		if ActionString(ret) != want {
			t.Errorf("%s: got %s, want %s", sc, ActionString(ret), want)
		}
	}
}

func TestArgsSameIndexAreORed(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"personality"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 0, Value: 2, Op: specs.OpEqualTo}}},
		{Names: []string{"kill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 1, Op: specs.OpGreaterThan}, {Index: 1, Value: 9, Op: specs.OpEqualTo}}},
	}}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sc   string
		args [6]uint64
		want string
	}{
		{"personality", [6]uint64{1}, "ERRNO(EPERM)"},
		{"personality", [6]uint64{2}, "ERRNO(EPERM)"},
		{"personality", [6]uint64{3}, "ALLOW"},
		{"kill", [6]uint64{5, 9}, "ERRNO(EPERM)"},
		{"kill", [6]uint64{1, 9}, "ALLOW"},
		{"kill", [6]uint64{5, 15}, "ALLOW"},
	} {
		ret, err := p.Evaluate("x86_64", tc.sc, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if ActionString(ret) != tc.want {
			t.Errorf("%s %v: got %s, want %s", tc.sc, tc.args[:2], ActionString(ret), tc.want)
		}
	}
}

func TestActionString(t *testing.T) {
	for ret, want := range map[uint32]string{
		RetAllow: "ALLOW", RetErrno | 1: "ERRNO(EPERM)", RetErrno | 100: "ERRNO(100)", RetErrno | 38: "ERRNO(ENOSYS)",
		RetKillProcess: "KILL_PROCESS", RetKillThread: "KILL_THREAD", RetTrap: "TRAP", RetLog: "LOG",
		RetUserNotif: "NOTIFY", RetTrace | 3: "TRACE(3)",
	} {
		if got := ActionString(ret); got != want {
			t.Errorf("%#x: got %s, want %s", ret, got, want)
		}
	}
}

func TestDefaultProfileNilCaps(t *testing.T) {
	if _, err := DefaultProfile(nil); err != nil {
		t.Fatal(err)
	}
}
