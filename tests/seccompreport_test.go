package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// x86_64 numbers only the report tests use; the shared ones are in
// harness_fixtures_test.go.
const (
	nrClone    = 56
	newUserHex = "0x10000000"
)

// runBundleFlags is `minirun run FLAGS -b BUNDLE ID` for s.
func runBundleFlags(t *testing.T, s *specs.Spec, flags ...string) result {
	t.Helper()
	args := append(append([]string{"run"}, flags...), "-b", writeBundle(t, s), containerID(t))
	return runMinirunWithin(t, watchDeadline, "", args...)
}

// The seed's scene 2 under the report: unshare fails as before, and the
// report says which rule refused it and what would allow it.
func TestSeccompReportSceneTwo(t *testing.T) {
	needRoot(t)
	r := dockerRunW(t, "unshare\n", "--rm", "-i", "--seccomp-report", "alpine", "sh")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "unshare: unshare(0x0): Operation not permitted\n") {
		t.Fatalf("scene 2 under the report: %+v", r)
	}
	l := reportLine(t, r, "unshare(0x0)")
	mustMatch(t, "scene 2", l, `^unshare\(0x0\) = EPERM, 1 time, pid [0-9]+ \(/bin/busybox\): not in any allow rule for the container's capabilities \(default action SCMP_ACT_ERRNO\); `+
		`Docker's default allows it with CAP_SYS_ADMIN \(rule [0-9]+\); to allow: --cap-add SYS_ADMIN, or \{"names":\["unshare"\],"action":"SCMP_ACT_ALLOW"`)
	mustContain(t, "report header", r.stderr, "minirun: seccomp report: 1 call refused under Docker's default profile:\n")
}

// The process sees the same result with and without the report, for
// every kind of refusal: a rule's errno, the default's, the ENOSYS stub's,
// clone3's ENOSYS entry, and the i386 ABI.
func TestSeccompReportErrnoUnchanged(t *testing.T) {
	needRoot(t)
	msg := map[unix.Errno]string{unix.EPERM: "Operation not permitted", unix.ENOSYS: "Function not implemented"}
	e := func(n unix.Errno) string { return fmt.Sprintf("errno %d (%s)\n", int(n), msg[n]) }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sys", fmt.Sprint(nrUnshare), newUserHex}, e(unix.EPERM)},
		{[]string{"sys", fmt.Sprint(nrKexecLoad)}, e(unix.EPERM)},
		{[]string{"sys", fmt.Sprint(nrClone3)}, e(unix.ENOSYS)},
		{[]string{"sys", fmt.Sprint(nrUnassigned)}, e(unix.ENOSYS)},
		{[]string{"int80", fmt.Sprint(nrI386Unsh), "0"}, e(unix.EPERM)},
		{[]string{"int80", fmt.Sprint(nrI386Getpid)}, "ok 1\n"},
		{[]string{"sys", fmt.Sprint(nrGetpid)}, "ok 1\n"},
	} {
		if c.args[0] == "int80" && !hostHasIA32(t) {
			continue // see needIA32
		}
		s := probeSpec(t, c.args...)
		plain := runBundleFlags(t, s)
		rep := runBundleFlags(t, s, "--seccomp-report")
		if plain.stdout != c.want || rep.stdout != plain.stdout || rep.code != plain.code {
			t.Errorf("probe %v: without the report %q (exit %d), with it %q (exit %d), want %q", c.args, plain.stdout, plain.code, rep.stdout, rep.code, c.want)
		}
		if strings.HasPrefix(c.want, "ok") && !strings.Contains(rep.stderr, "no call refused") {
			t.Errorf("probe %v: allowed call reported: %s", c.args, rep.stderr)
		}
	}
}

// Each probe's refusal, as the report shows it, with the rule behind it.
func TestSeccompReportProbes(t *testing.T) {
	needRoot(t)
	t.Run("unshare", func(t *testing.T) {
		r := runBundleFlags(t, probeSpec(t, "sys", fmt.Sprint(nrUnshare), newUserHex), "--seccomp-report")
		mustMatch(t, "unshare", reportLine(t, r, "unshare("), `^unshare\(CLONE_NEWUSER\) = EPERM, 1 time, pid 1 \(/bin/probe\): not in any allow rule \(default action SCMP_ACT_ERRNO\); to allow: \{"names":\["unshare"\],"action":"SCMP_ACT_ALLOW","args":\[\{"index":0,"value":2114060416,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"\}\]\}$`)
		mustContain(t, "source", r.stderr, "under config.json linux.seccomp:")
	})
	t.Run("masked clone flag", func(t *testing.T) {
		r := dockerProbe(t, "--rm", "--seccomp-report", "probe", "/bin/probe", "sys", fmt.Sprint(nrClone), newUserHex)
		l := reportLine(t, r, "clone(")
		mustMatch(t, "clone", l, `^clone\(CLONE_NEWUSER\) = EPERM, 1 time, pid 1 \(/bin/probe\): not in any allow rule for the container's capabilities`)
		mustMatch(t, "clone mask", l, `rule [0-9]+ allows clone only if args\[0\] & 0x7e020000 == 0x0; here args\[0\] = 0x10000000 \(CLONE_NEWUSER\)`)
		mustMatch(t, "clone cap", l, `Docker's default allows it with CAP_SYS_ADMIN \(rule [0-9]+\)`)
	})
	t.Run("i386 int 0x80", func(t *testing.T) {
		needIA32(t)
		r := dockerProbe(t, "--rm", "--seccomp-report", "probe", "/bin/probe", "int80", fmt.Sprint(nrI386Unsh), "0")
		if r.stdout != "errno 1 (Operation not permitted)\n" {
			t.Fatalf("int80 unshare: %+v", r)
		}
		mustMatch(t, "i386", reportLine(t, r, "unshare("), `^unshare\(0x0\) \[x86 ABI\] = EPERM, 1 time, pid 1 \(/bin/probe\): .*Docker's default allows it with CAP_SYS_ADMIN`)
	})
	t.Run("x32 bit", func(t *testing.T) {
		// From 64-bit code with the x32 bit set the kernel checks the
		// call as an x32 one (seccomp_data.arch is x86_64's, nr has the bit).
		r := dockerProbe(t, "--rm", "--seccomp-report", "probe", "/bin/probe", "sys", fmt.Sprintf("%#x", 0x40000000|nrUnshare), "0")
		if r.stdout != "errno 1 (Operation not permitted)\n" {
			t.Fatalf("x32 unshare: %+v", r)
		}
		mustMatch(t, "x32", reportLine(t, r, "unshare("), `^unshare\(0x0\) \[x32 ABI\] = EPERM, 1 time, pid 1 \(/bin/probe\): .*Docker's default allows it with CAP_SYS_ADMIN`)
	})
	t.Run("chmod", func(t *testing.T) {
		prof := filepath.Join(t.TempDir(), "nochmod.json")
		os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
			{"names":["chmod","fchmodat","fchmodat2"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`), 0o644)
		r := dockerRunW(t, "", "--rm", "--seccomp-report", "--security-opt", "seccomp="+prof, "alpine", "sh", "-c", "touch /tmp/x; chmod 600 /tmp/x")
		if r.code != 1 || !strings.Contains(r.stderr, "Permission denied") {
			t.Fatalf("chmod under EACCES: %+v", r)
		}
		l := reportLine(t, r, "chmod(")
		if !strings.Contains(r.stderr, "  chmod(") {
			l = reportLine(t, r, "fchmodat")
		}
		mustMatch(t, "chmod", l, `^(chmod|fchmodat2?)\((AT_FDCWD, )?"/tmp/x", 0600\) = EACCES, 1 time, pid [0-9]+ \(/bin/busybox\): refused by rule 0 \{names chmod,fchmodat,fchmodat2, action SCMP_ACT_ERRNO, errnoRet 13\}; to allow: \{"names":\["(chmod|fchmodat2?)"\],"action":"SCMP_ACT_ALLOW"\}$`)
	})
	t.Run("kill", func(t *testing.T) {
		prof := filepath.Join(t.TempDir(), "kill.json")
		os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kexec_load"],"action":"SCMP_ACT_KILL_PROCESS"}]}`), 0o644)
		r := dockerProbe(t, "--rm", "--seccomp-report", "--security-opt", "seccomp="+prof, "probe", "/bin/probe", "sys", fmt.Sprint(nrKexecLoad))
		if r.code != 128+int(unix.SIGSYS) {
			t.Fatalf("KILL_PROCESS: exit %d, want %d (%+v)", r.code, 128+int(unix.SIGSYS), r)
		}
		// The kernel's audit record names the call, unless printk's rate
		// limit dropped it (other suites kill too): then the exit signal
		// and the profile's kill entries are all there is.
		if strings.Contains(r.stderr, "kexec_load(...) =") {
			mustMatch(t, "kill", reportLine(t, r, "kexec_load("), `^kexec_load\(\.\.\.\) = KILL_PROCESS, 1 time, pid 1 \(/bin/probe\), found in the kernel log.*: killed by rule 0 \{names kexec_load, action SCMP_ACT_KILL_PROCESS\}`)
		} else {
			mustMatch(t, "kill", reportLine(t, r, "("), `= killed by SIGSYS, 1 time, pid 1: the profile kills or traps in rule 0 \{names kexec_load, action SCMP_ACT_KILL_PROCESS\}$`)
		}
		mustContain(t, "kill note", r.stderr, "kills are the kernel's own")
	})
}

// Threads: every thread's call is counted, each answered.
func TestSeccompReportThreads(t *testing.T) {
	needRoot(t)
	r := dockerProbe(t, "--rm", "--seccomp-report", "probe", "/bin/probe", "threads", "8")
	if r.code != 0 || r.stdout != "threads 8\n" {
		t.Fatalf("threads: %+v", r)
	}
	// glibc tries clone3 for each thread; Docker's default answers ENOSYS
	// and glibc falls back to clone, which is allowed.
	mustMatch(t, "clone3", reportLine(t, r, "clone3("), `^clone3\(\{flags=CLONE_VM\|.*CLONE_THREAD.*\}\) = ENOSYS, 8 times, pid 1 \(/bin/probe\): refused by rule [0-9]+ \{names clone3, action SCMP_ACT_ERRNO, errnoRet 38, excludes caps CAP_SYS_ADMIN\}`)
}

func TestSeccompReportJSON(t *testing.T) {
	needRoot(t)
	out := filepath.Join(t.TempDir(), "report.json")
	r := dockerRunW(t, "unshare\nunshare\n", "--rm", "-i", "--seccomp-report="+out, "alpine", "sh")
	if r.code != 1 || strings.Contains(r.stderr, "seccomp report") {
		t.Fatalf("JSON report also printed, or run failed: %+v", r)
	}
	body, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Profile string
		Denials []struct {
			Arch, Syscall, Call, Errno, Exe, Via string
			Count, Pid                           int
			Rule                                 struct {
				Rule   int
				Why    []string
				CapAdd []string
			}
			Suggestion struct {
				CapAdd []string
				Entry  dockerprofile.Syscall
			}
		}
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if len(rep.Denials) != 1 {
		t.Fatalf("denials: %s", body)
	}
	d := rep.Denials[0]
	if rep.Profile != "Docker's default profile" || d.Syscall != "unshare" || d.Arch != "x86_64" || d.Count != 2 || d.Errno != "EPERM" ||
		d.Exe != "/bin/busybox" || d.Via != "notification" || d.Rule.Rule != -1 || !slices.Equal(d.Rule.CapAdd, []string{"CAP_SYS_ADMIN"}) ||
		!slices.Equal(d.Suggestion.CapAdd, []string{"SYS_ADMIN"}) || !slices.Equal(d.Suggestion.Entry.Names, []string{"unshare"}) {
		t.Errorf("report: %s", body)
	}
}

// Where the report can't work, it says so in one line, exit 125, before
// anything runs.
func TestSeccompReportRefused(t *testing.T) {
	needRoot(t)
	r := dockerRunW(t, "", "--rm", "--seccomp-report", "--security-opt", "seccomp=unconfined", "alpine", "true")
	checkFailure(t, r, exitDocker, "seccomp report", "no seccomp profile")

	s := probeSpec(t, "sys", fmt.Sprint(nrGetpid))
	s.Linux.Seccomp.ListenerPath = filepath.Join(t.TempDir(), "agent.sock")
	r = runBundleFlags(t, s, "--seccomp-report")
	checkFailure(t, r, exitRunc, "seccomp report", "listenerPath")

	r = runBundleFlags(t, probeSpec(t, "sys", fmt.Sprint(nrGetpid)), "--seccomp-report", "-d")
	checkFailure(t, r, exitRunc, "seccomp report", "foreground")

	r = dockerRunW(t, "", "--rm", "--seccomp-report", "--seccomp-record", filepath.Join(t.TempDir(), "p.json"), "alpine", "true")
	checkFailure(t, r, exitDocker, "seccomp report", "one at a time")
}

// Several kinds of refusal in one run: each keeps its own arguments (the
// supervisor reuses its buffer for the next notification).
func TestSeccompReportKeepsEachCallsArgs(t *testing.T) {
	needRoot(t)
	r := dockerRunW(t, "", "--rm", "--seccomp-report", "alpine", "sh", "-c", "unshare -U true; unshare -n true; true")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	mustMatch(t, "user", reportLine(t, r, "unshare(CLONE_NEWUSER)"), `= EPERM, 1 time, .*"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"`)
	mustMatch(t, "net", reportLine(t, r, "unshare(CLONE_NEWNET)"), `= EPERM, 1 time, .*"valueTwo":1073741824,"op":"SCMP_CMP_MASKED_EQ"`)
}
