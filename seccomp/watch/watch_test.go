package watch

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
)

func TestDecodeCall(t *testing.T) {
	mem := func(strs map[uint64]string) memReader {
		return func(addr uint64, n int) ([]byte, error) {
			for base, s := range strs {
				b := append([]byte(s), 0)
				if addr >= base && addr < base+uint64(len(b)) {
					b = b[addr-base:]
					if len(b) > n {
						b = b[:n]
					}
					return b, nil
				}
			}
			return nil, unix.EFAULT
		}
	}
	long := strings.Repeat("d/", 3000) + "f"
	m := mem(map[uint64]string{0x1000: "/etc/passwd", 0x9000: long})
	cases := []struct {
		name string
		args [6]uint64
		want string
		key  string
	}{
		{"unshare", [6]uint64{0}, "unshare(0x0)", "0x0"},
		{"unshare", [6]uint64{unix.CLONE_NEWUSER | unix.CLONE_NEWNS}, "unshare(CLONE_NEWNS|CLONE_NEWUSER)", "0x10020000"},
		{"unshare", [6]uint64{0x80}, "unshare(CLONE_NEWTIME)", "0x80"},
		{"clone", [6]uint64{unix.CLONE_NEWUSER | 17}, "clone(CLONE_NEWUSER|SIGCHLD)", "0x10000011"},
		{"clone", [6]uint64{17}, "clone(SIGCHLD)", "0x11"},
		{"clone", [6]uint64{0x3d0f00}, "clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID)", "0x3d0f00"},
		{"socket", [6]uint64{16, 3 | 0x80000, 0}, "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, 0)", "16/3"},
		{"socket", [6]uint64{99, 1, 0}, "socket(99, SOCK_STREAM, 0)", "99/1"},
		{"ioctl", [6]uint64{0, 0x5412}, "ioctl(0, TIOCSTI)", "0x5412"},
		{"ioctl", [6]uint64{3, 0xffffffff80045430}, "ioctl(3, TIOCGPTN)", "0x80045430"},
		{"ioctl", [6]uint64{3, 0xc0502100}, "ioctl(3, 0xc0502100 (_IOWR('!', 0x0, 80 bytes)))", "0xc0502100"},
		{"prctl", [6]uint64{38, 1}, "prctl(PR_SET_NO_NEW_PRIVS)", "38"},
		{"prctl", [6]uint64{1234}, "prctl(1234)", "1234"},
		{"personality", [6]uint64{0x0040008}, "personality(PER_LINUX32|ADDR_NO_RANDOMIZE)", "0x40008"},
		{"personality", [6]uint64{0xffffffff}, "personality(0xffffffff (query))", "0xffffffff"},
		{"chmod", [6]uint64{0x1000, 0o4755}, `chmod("/etc/passwd", 04755)`, ""},
		{"fchmodat", [6]uint64{0xffffffffffffff9c, 0x1000, 0o777}, `fchmodat(AT_FDCWD, "/etc/passwd", 0777)`, ""},
		{"openat", [6]uint64{5, 0x1004}, `openat(5, "/passwd")`, ""},
		{"openat", [6]uint64{5, 0x5000}, `openat(5, 0x5000)`, ""}, // unreadable: the address
		{"renameat2", [6]uint64{0xffffff9c, 0x1000, 0xffffff9c, 0x1005}, `renameat2(AT_FDCWD, "/etc/passwd", AT_FDCWD, "passwd")`, ""},
		{"mount", [6]uint64{0x1000, 0x1005}, `mount("/etc/passwd", "passwd")`, ""},
		{"geteuid", [6]uint64{1, 0x7ffd, 0x7ffd}, "geteuid()", ""},
		{"kexec_load", [6]uint64{0, 0, 0}, "kexec_load(0x0)", ""},
		{"kexec_load", [6]uint64{1, 0, 3}, "kexec_load(0x1, 0x0, 0x3)", ""},
	}
	for _, c := range cases {
		got, key := DecodeCall(c.name, c.args, m)
		if got != c.want || key != c.key {
			t.Errorf("DecodeCall(%s, %#x) = %q, key %q; want %q, key %q", c.name, c.args[:3], got, key, c.want, c.key)
		}
	}
	// A path longer than the 4096 bytes read is cut, not read on forever.
	got, _ := DecodeCall("unlink", [6]uint64{0x9000}, m)
	if !strings.HasSuffix(got, `..."`+")") || len(got) > 4200 {
		t.Errorf("long path: %d bytes, ends %q", len(got), got[len(got)-10:])
	}
	// clone3's flags are read from the struct it points to.
	b := make([]byte, 8)
	b[3] = 0x10 // CLONE_NEWUSER, little-endian
	got, key := DecodeCall("clone3", [6]uint64{0x2000, 88}, func(addr uint64, n int) ([]byte, error) {
		if addr != 0x2000 {
			return nil, unix.EFAULT
		}
		return b[:n], nil
	})
	if got != "clone3({flags=CLONE_NEWUSER})" || key != "0x10000000" {
		t.Errorf("clone3: %q %q", got, key)
	}
}

// ruleIndex finds the entry of Docker's default that names name and
// satisfies pick, so the tests don't pin numbers moby/profiles may change.
func ruleIndex(t *testing.T, name string, pick func(*dockerprofile.Syscall) bool) int {
	t.Helper()
	for i, sc := range seccomp.DockerDefault().Syscalls {
		if slices.Contains(sc.Names, name) && pick(sc) {
			return i
		}
	}
	t.Fatalf("no entry for %s in Docker's default", name)
	return 0
}

func withSysAdmin(sc *dockerprofile.Syscall) bool {
	return sc.Includes != nil && slices.Contains(sc.Includes.Caps, "CAP_SYS_ADMIN")
}

func TestAttributeDockerDefault(t *testing.T) {
	src := DockerSource("Docker's default profile", seccomp.DockerDefault(), dockerCaps, true)
	eperm := seccomp.RetErrno | uint32(unix.EPERM)
	admin := ruleIndex(t, "unshare", withSysAdmin)

	at := src.Attribute("x86_64", "unshare", [6]uint64{}, eperm)
	if at.Rule != RuleDefault || !slices.Equal(at.CapAdd, []string{"CAP_SYS_ADMIN"}) {
		t.Fatalf("unshare: %+v", at)
	}
	want := "Docker's default allows it with CAP_SYS_ADMIN (rule " + itoa(admin) + ")"
	if !slices.Contains(at.Why, want) {
		t.Errorf("unshare why = %q, want %q", at.Why, want)
	}
	// The same through the i386 ABI.
	if at32 := src.Attribute("x86", "unshare", [6]uint64{}, eperm); at32.Rule != RuleDefault || !slices.Contains(at32.Why, want) {
		t.Errorf("i386 unshare: %+v", at32)
	}

	// clone with a namespace flag: the masked rule says what it tested.
	masked := ruleIndex(t, "clone", func(sc *dockerprofile.Syscall) bool {
		return len(sc.Args) == 1 && sc.Args[0].Op == specs.OpMaskedEqual && sc.Args[0].Index == 0
	})
	at = src.Attribute("x86_64", "clone", [6]uint64{unix.CLONE_NEWUSER | 17}, eperm)
	wantMask := "rule " + itoa(masked) + " allows clone only if args[0] & 0x7e020000 == 0x0; here args[0] = 0x10000011 (CLONE_NEWUSER)"
	if at.Rule != RuleDefault || !slices.Contains(at.Why, wantMask) {
		t.Errorf("clone: %+v\nwant why %q", at, wantMask)
	}
	// A plain fork is allowed by that rule.
	if at := src.Attribute("x86_64", "clone", [6]uint64{17}, seccomp.RetAllow); at.Rule != masked {
		t.Errorf("fork: rule %d, want %d", at.Rule, masked)
	}

	// clone3 is answered ENOSYS by an entry of its own.
	enosys := ruleIndex(t, "clone3", func(sc *dockerprofile.Syscall) bool { return sc.Action == specs.ActErrno })
	at = src.Attribute("x86_64", "clone3", [6]uint64{}, seccomp.RetErrno|uint32(unix.ENOSYS))
	if at.Rule != enosys || !strings.HasPrefix(at.Text, "refused by rule "+itoa(enosys)) {
		t.Errorf("clone3: %+v", at)
	}

	// With CAP_SYS_ADMIN the same unshare is the capability entry's.
	srcAdmin := DockerSource("Docker's default profile", seccomp.DockerDefault(), append(slices.Clone(dockerCaps), "SYS_ADMIN"), true)
	if at := srcAdmin.Attribute("x86_64", "unshare", [6]uint64{}, seccomp.RetAllow); at.Rule != admin {
		t.Errorf("unshare with CAP_SYS_ADMIN: rule %d, want %d", at.Rule, admin)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestAttributeOCIAndStub(t *testing.T) {
	e13, e1 := uint(13), uint(1)
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: &e1, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "write"}, Action: specs.ActAllow},
		{Names: []string{"chmod"}, Action: specs.ActErrno, ErrnoRet: &e13},
		{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}}},
		{Names: []string{"kexec_load"}, Action: specs.ActKillProcess},
	}}
	src := OCISource("config.json linux.seccomp", s)
	if at := src.Attribute("x86_64", "chmod", [6]uint64{}, seccomp.RetErrno|13); at.Rule != 1 || at.Text != "refused by rule 1 {names chmod, action SCMP_ACT_ERRNO, errnoRet 13}" {
		t.Errorf("chmod: %+v", at)
	}
	at := src.Attribute("x86_64", "socket", [6]uint64{2}, seccomp.RetErrno|1)
	if at.Rule != RuleDefault || len(at.Why) != 1 || at.Why[0] != "rule 2 allows socket only if args[0] == 0x1; here args[0] = 0x2 (AF_INET)" {
		t.Errorf("socket: %+v", at)
	}
	if len(at.CapAdd) != 0 {
		t.Errorf("an OCI profile has no capability entries: %v", at.CapAdd)
	}
	if at := src.Attribute("x86_64", "kexec_load", [6]uint64{}, seccomp.RetKillProcess); at.Rule != 3 || !strings.HasPrefix(at.Text, "killed by rule 3") {
		t.Errorf("kill: %+v", at)
	}
	if at := src.Attribute("x86_64", "syscall_1000", [6]uint64{}, seccomp.RetErrno|38); at.Rule != RuleENOSYS {
		t.Errorf("stub: %+v", at)
	}
	// The same errno from the default and a rule: the rule wins only where it matches.
	if at := src.Attribute("x86_64", "chmod", [6]uint64{}, seccomp.RetErrno|1); at.Rule != RuleDefault {
		t.Errorf("EPERM for chmod can't be rule 1's: %+v", at)
	}
}

func TestSuggest(t *testing.T) {
	cases := map[string]string{
		"unshare": `{"names":["unshare"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060416,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]}`,
		"chmod":   `{"names":["chmod"],"action":"SCMP_ACT_ALLOW"}`,
		"socket":  `{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":268435456,"op":"SCMP_CMP_EQ"}]}`,
	}
	for name, want := range cases {
		b, _ := json.Marshal(Suggest(name, [6]uint64{unix.CLONE_NEWUSER}))
		if string(b) != want {
			t.Errorf("Suggest(%s) = %s, want %s", name, b, want)
		}
		// What is suggested must allow the call under the profile it goes into.
		e := Suggest(name, [6]uint64{unix.CLONE_NEWUSER})
		if !argsMatch(e.Args, [6]uint64{unix.CLONE_NEWUSER}, false) {
			t.Errorf("Suggest(%s) does not match its own call", name)
		}
	}
}

func TestReportProgramOnlyRewritesErrno(t *testing.T) {
	p := compileDefault(t, dockerCaps)
	w := NewReport(DockerSource("d", seccomp.DockerDefault(), dockerCaps, true))
	q, err := w.Program(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Listener || p.Listener {
		t.Fatalf("listener: rewritten %v, original %v", q.Listener, p.Listener)
	}
	for _, c := range []struct {
		arch, name string
		args       [6]uint64
		want       uint32
	}{
		{"x86_64", "read", [6]uint64{}, seccomp.RetAllow},
		{"x86_64", "unshare", [6]uint64{}, seccomp.RetUserNotif},
		{"x86_64", "clone3", [6]uint64{}, seccomp.RetUserNotif}, // ERRNO(ENOSYS)
		{"x86_64", "1000", [6]uint64{}, seccomp.RetUserNotif},   // the stub's ENOSYS
		{"x86", "unshare", [6]uint64{}, seccomp.RetUserNotif},
		{"x86_64", "clone", [6]uint64{17}, seccomp.RetAllow},
	} {
		got, err := q.Evaluate(c.arch, c.name, c.args)
		if err != nil || got != c.want {
			t.Errorf("%s %s: %s (%v), want %s", c.arch, c.name, seccomp.ActionString(got), err, seccomp.ActionString(c.want))
		}
	}
	// A profile whose rules already notify has its own agent.
	p2 := *p
	p2.Listener = true
	if _, err := w.Program(&p2, nil); err != ErrListenerInUse {
		t.Errorf("listener profile: %v", err)
	}
}

func TestRecordProgram(t *testing.T) {
	e1 := uint(1)
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: &e1, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "write", "getpid", "execve", "sendmsg"}, Action: specs.ActAllow},
		{Names: []string{"kexec_load"}, Action: specs.ActKillProcess},
	}}
	p, err := seccomp.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewRecorder().Program(p, []string{"execve", "sendmsg"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want uint32
	}{
		{"sendmsg", seccomp.RetAllow},      // the runtime's: in the kernel
		{"execve", seccomp.RetAllow},       // the same
		{"getpid", seccomp.RetUserNotif},   // allowed by the profile: recorded
		{"chmod", seccomp.RetErrno | 1},    // refused by the profile: still refused
		{"unshare", seccomp.RetErrno | 38}, // above what it names: the stub's ENOSYS
		{"kexec_load", seccomp.RetKillProcess},
	} {
		if got, err := q.Evaluate("x86_64", c.name, [6]uint64{}); err != nil || got != c.want {
			t.Errorf("%s: %s, want %s", c.name, seccomp.ActionString(got), seccomp.ActionString(c.want))
		}
	}
	// Unconfined: everything but the runtime's calls is notified, on
	// every ABI.
	u, err := NewRecorder().Program(nil, []string{"sendmsg"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"x86_64", "unshare"}, {"x86", "unshare"}, {"x32", "getpid"}, {"x86", "getpid"}} {
		if got, err := u.Evaluate(c[0], c[1], [6]uint64{}); err != nil || got != seccomp.RetUserNotif {
			t.Errorf("unconfined %s %s: %s", c[0], c[1], seccomp.ActionString(got))
		}
	}
	if got, _ := u.Evaluate("x86_64", "sendmsg", [6]uint64{}); got != seccomp.RetAllow {
		t.Errorf("unconfined sendmsg: %s", seccomp.ActionString(got))
	}
}

func TestRecordedProfileStableAndMerges(t *testing.T) {
	build := func(order []int) *observations {
		o := newObservations()
		calls := []func(){
			func() { o.add("x86_64", "openat", false, 0) },
			func() { o.add("x86_64", "clone", true, 0) },
			func() { o.add("x86", "getpid", false, 0) },
			func() { o.add("x86_64", "getpid", false, 0) },
			func() { o.add("x86_64", "ioctl", true, 0x5401) },
			func() { o.add("x86_64", "ioctl", true, 0x5413) },
			func() { o.add("x86_64", "clone3", false, 0) },
		}
		for _, i := range order {
			calls[i]()
		}
		return o
	}
	req := []string{"write", "execve", "read"}
	a, _ := json.Marshal(build([]int{0, 1, 2, 3, 4, 5, 6}).profile(req))
	b, _ := json.Marshal(build([]int{6, 5, 4, 3, 2, 1, 0}).profile(req))
	if string(a) != string(b) {
		t.Fatalf("order changed the profile:\n%s\n%s", a, b)
	}
	if _, err := seccomp.ParseProfile(a, dockerCaps); err != nil {
		t.Fatalf("recorded profile does not load: %v\n%s", err, a)
	}
	p := build([]int{0, 1, 2, 3, 4, 5, 6}).profile(req)
	if got := p.Architectures; !slices.Equal(got, []specs.Arch{specs.ArchX86_64, specs.ArchX86}) {
		t.Errorf("architectures %v", got)
	}
	if got := p.Syscalls[0].Names; !slices.Equal(got, []string{"execve", "read", "write"}) {
		t.Errorf("runtime entry %v", got)
	}
	compiled, err := seccomp.ParseProfile(a, dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := seccomp.Compile(compiled)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arch, name string
		args       [6]uint64
		want       uint32
	}{
		{"x86_64", "openat", [6]uint64{}, seccomp.RetAllow},
		{"x86_64", "clone", [6]uint64{0x3d0f00}, seccomp.RetAllow},               // a thread: no namespace flag
		{"x86_64", "clone", [6]uint64{unix.CLONE_NEWUSER}, seccomp.RetErrno | 1}, // not seen
		{"x86_64", "ioctl", [6]uint64{0, 0xffffffff00005401}, seccomp.RetAllow},  // the request is 32 bits
		{"x86_64", "ioctl", [6]uint64{0, 0x5412}, seccomp.RetErrno | 1},          // TIOCSTI: not seen
		{"x86_64", "clone3", [6]uint64{}, seccomp.RetErrno | 38},
		{"x86", "getpid", [6]uint64{}, seccomp.RetAllow},
		{"x86_64", "unshare", [6]uint64{}, seccomp.RetErrno | 1},
	} {
		if got, err := prog.Evaluate(c.arch, c.name, c.args); err != nil || got != c.want {
			t.Errorf("recorded: %s %s %#x: %s, want %s", c.arch, c.name, c.args[1], seccomp.ActionString(got), seccomp.ActionString(c.want))
		}
	}

	// Merging the written profile into a new recording keeps both.
	o := newObservations()
	o.add("x86_64", "unshare", true, 0)
	o.add("x86_64", "ioctl", true, 0x5412)
	var d dockerprofile.Seccomp
	if err := json.Unmarshal(a, &d); err != nil {
		t.Fatal(err)
	}
	if err := o.merge(&d, "rec.json"); err != nil {
		t.Fatal(err)
	}
	merged, _ := json.Marshal(o.profile(req))
	want := build([]int{0, 1, 2, 3, 4, 5, 6})
	want.add("x86_64", "unshare", true, 0)
	want.add("x86_64", "ioctl", true, 0x5412)
	wantJSON, _ := json.Marshal(want.profile(req))
	if string(merged) != string(wantJSON) {
		t.Errorf("merge:\n got %s\nwant %s", merged, wantJSON)
	}
	// A profile the recorder did not write is refused, not misread.
	bad := dockerprofile.Seccomp{Syscalls: []*dockerprofile.Syscall{{LinuxSyscall: specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow}}}}
	if err := newObservations().merge(&bad, "x.json"); err == nil || !strings.Contains(err.Error(), "not written by --seccomp-record") {
		t.Errorf("foreign profile: %v", err)
	}
}

func TestParseKillRecord(t *testing.T) {
	line := `6,1234,1276393747,-;audit: type=1326 audit(1796153158.111:41): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=10727 comm="probe" exe="/bin/probe" sig=31 arch=c000003e syscall=246 compat=0 ip=0x47b567 code=0x80000000`
	d := parseKillRecord(line)
	if d == nil || d.Syscall != "kexec_load" || d.HostPid != 10727 || d.Exe != "/bin/probe" || d.Action != "KILL_PROCESS" || d.Arch != "x86_64" {
		t.Fatalf("%+v", d)
	}
	i386 := strings.Replace(strings.Replace(line, "arch=c000003e syscall=246", "arch=40000003 syscall=310", 1), "code=0x80000000", "code=0x0", 1)
	if d := parseKillRecord(i386); d == nil || d.Syscall != "unshare" || d.Arch != "x86" || d.Action != "KILL_THREAD" {
		t.Fatalf("i386: %+v", d)
	}
	// An errno that was logged (SECCOMP_FILTER_FLAG_LOG) is not a kill.
	if d := parseKillRecord(strings.Replace(line, "code=0x80000000", "code=0x50001", 1)); d != nil {
		t.Errorf("errno record taken for a kill: %+v", d)
	}
	if d := parseKillRecord("6,1,1,-;random line pid=3"); d != nil {
		t.Errorf("%+v", d)
	}
}

func TestDenialLine(t *testing.T) {
	src := DockerSource("Docker's default profile", seccomp.DockerDefault(), dockerCaps, true)
	w := NewReport(src)
	d := &Denial{Arch: "x86_64", Syscall: "unshare", Call: "unshare(0x0)", Args: make([]uint64, 6), Count: 1, Pid: 1, Exe: "/bin/busybox",
		Via: "notification", ret: seccomp.RetErrno | 1}
	w.order = append(w.order, d)
	r := w.Report()
	line := r.Denials[0].Line()
	admin := ruleIndex(t, "unshare", withSysAdmin)
	want := `unshare(0x0) = EPERM, 1 time, pid 1 (/bin/busybox): not in any allow rule for the container's capabilities (default action SCMP_ACT_ERRNO); ` +
		`Docker's default allows it with CAP_SYS_ADMIN (rule ` + itoa(admin) + `); to allow: --cap-add SYS_ADMIN, or ` +
		`{"names":["unshare"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060416,"op":"SCMP_CMP_MASKED_EQ"}]}`
	if line != want {
		t.Errorf("line:\n got %s\nwant %s", line, want)
	}
}
