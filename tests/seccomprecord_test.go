package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// recordedNames is every name the profile allows, and the entries by name.
func recordedNames(p *dockerprofile.Seccomp) map[string]*dockerprofile.Syscall {
	return namesOf(p, true)
}

// Record a workload, replay it under what was recorded, and see a call it
// did not make refused with the report pointing at the recorded profile.
func TestSeccompRecordReplay(t *testing.T) {
	needRoot(t)
	prof := filepath.Join(t.TempDir(), "rec.json")
	work := []string{"sh", "-c", "ls /; cat /etc/passwd"}
	plain := dockerRunW(t, "", append([]string{"--rm", "alpine"}, work...)...)
	r := dockerRunW(t, "", append([]string{"--rm", "--seccomp-record", prof, "alpine"}, work...)...)
	if r.code != 0 || r.stdout != plain.stdout || r.stderr != "" {
		t.Fatalf("recorded run differs from the plain one:\n%+v\n%+v", r, plain)
	}
	p, body := readRecorded(t, prof)
	if p.DefaultAction != specs.ActErrno || !slices.Equal(p.Architectures, []specs.Arch{specs.ArchX86_64}) {
		t.Errorf("header: %s", body)
	}
	names := recordedNames(p)
	for _, n := range []string{"getdents64", "openat", "execve", "wait4", "clone"} {
		if names[n] == nil {
			t.Errorf("%s not recorded: %s", n, body)
		}
	}
	// The Go runtime's calls in the init between the filter and execve
	// are not the container's; busybox makes none of these.
	seen := seenNames(p)
	for _, n := range []string{"sigaltstack", "nanosleep", "sched_getaffinity", "madvise", "tgkill", "mmap", "unshare", "setns"} {
		if seen[n] != nil {
			t.Errorf("%s recorded, but the workload never calls it: %s", n, body)
		}
	}
	// clone is allowed only without namespace flags.
	if c := names["clone"]; len(c.Args) != 1 || c.Args[0].Op != specs.OpMaskedEqual || c.Args[0].Value != 0x7e020000 || c.Args[0].ValueTwo != 0 {
		t.Errorf("clone rule: %+v", c)
	}

	// The same workload gives the same file.
	prof2 := filepath.Join(t.TempDir(), "rec.json")
	dockerRunW(t, "", append([]string{"--rm", "--seccomp-record", prof2, "alpine"}, work...)...)
	if p2, body2 := readRecorded(t, prof2); string(body2) != string(body) {
		t.Errorf("two recordings of one workload differ: names %v and %v\n%s\n%s", sortedNames(p), sortedNames(p2), body, body2)
	}

	// Replay.
	rep := dockerRunW(t, "", append([]string{"--rm", "--security-opt", "seccomp=" + prof, "alpine"}, work...)...)
	if rep.code != 0 || rep.stdout != plain.stdout {
		t.Fatalf("replay: %+v", rep)
	}
	// Something else is refused, and the report names the recorded profile.
	rep = dockerRunW(t, "unshare\n", "--rm", "-i", "--seccomp-report", "--security-opt", "seccomp="+prof, "alpine", "sh")
	if rep.code == 0 {
		t.Fatalf("unshare under the recorded profile: %+v", rep)
	}
	mustContain(t, "report source", rep.stderr, "refused under "+prof+":")
	mustMatch(t, "unshare", reportLine(t, rep, "unshare("), `^unshare\(0x0\) = EPERM, 1 time, pid [0-9]+ \(/bin/busybox\): not in any allow rule`)
}

// Threads and children are recorded; a merge adds a second workload to
// the first, and both replay.
func TestSeccompRecordThreadsAndMerge(t *testing.T) {
	needRoot(t)
	prof := filepath.Join(t.TempDir(), "rec.json")
	r := dockerProbe(t, "--rm", "--seccomp-record", prof, "probe", "/bin/probe", "threads", "8")
	if r.code != 0 || r.stdout != "threads 8\n" {
		t.Fatalf("record threads: %+v", r)
	}
	p, body := readRecorded(t, prof)
	names := recordedNames(p)
	for _, n := range []string{"clone", "futex", "exit", "mmap", "munmap"} {
		if names[n] == nil {
			t.Errorf("%s not recorded for threads: %s", n, body)
		}
	}
	if names["getdents64"] != nil {
		t.Fatalf("not merged yet, but getdents64 is there: %s", body)
	}
	r = dockerRunW(t, "", "--rm", "--seccomp-record", prof, "--seccomp-record-merge", "alpine", "ls", "/")
	if r.code != 0 {
		t.Fatalf("record with merge: %+v", r)
	}
	p, body = readRecorded(t, prof)
	names = recordedNames(p)
	for _, n := range []string{"clone", "exit", "getdents64"} {
		if names[n] == nil {
			t.Errorf("merge lost or missed %s: %s", n, body)
		}
	}
	for _, w := range [][]string{{"probe", "/bin/probe", "threads", "8"}, {"alpine", "ls", "/"}} {
		rep := dockerProbe(t, append([]string{"--rm", "--security-opt", "seccomp=" + prof}, w...)...)
		if rep.code != 0 {
			t.Errorf("replay %v under the merged profile: %+v", w, rep)
		}
	}
	// Without merge the file is replaced.
	dockerRunW(t, "", "--rm", "--seccomp-record", prof, "alpine", "true")
	if p, body := readRecorded(t, prof); recordedNames(p)["getdents64"] != nil {
		t.Errorf("record without merge kept the old calls: %s", body)
	}
}

// A profile the recorder didn't write can't be merged into: one line, 125.
func TestSeccompRecordMergeForeign(t *testing.T) {
	needRoot(t)
	prof := filepath.Join(t.TempDir(), "foreign.json")
	os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`), 0o644)
	r := dockerRunW(t, "", "--rm", "--seccomp-record", prof, "--seccomp-record-merge", "alpine", "true")
	checkFailure(t, r, exitDocker, "seccomp record", "not written by --seccomp-record")
}

// Recording an unconfined container covers the i386 ABI too, and the
// profile lists the ABI it saw.
func TestSeccompRecordI386(t *testing.T) {
	needRoot(t)
	needIA32(t)
	prof := filepath.Join(t.TempDir(), "rec.json")
	r := dockerProbe(t, "--rm", "--security-opt", "seccomp=unconfined", "--seccomp-record", prof, "probe", "/bin/probe", "int80", fmt.Sprint(nrI386Getpid))
	if r.code != 0 || r.stdout != "ok 1\n" {
		t.Fatalf("record int80: %+v", r)
	}
	p, body := readRecorded(t, prof)
	if !slices.Contains(p.Architectures, specs.ArchX86) {
		t.Errorf("x86 not in architectures: %s", body)
	}
	found := false
	for _, sc := range p.Syscalls {
		if slices.Contains(sc.Names, "getpid") && strings.HasPrefix(sc.Comment, "seen on x86") && !strings.HasPrefix(sc.Comment, "seen on x86_64") {
			found = true
		}
	}
	if !found {
		t.Errorf("getpid not recorded as seen on x86 only: %s", body)
	}
	rep := dockerProbe(t, "--rm", "--security-opt", "seccomp="+prof, "probe", "/bin/probe", "int80", fmt.Sprint(nrI386Getpid))
	if rep.code != 0 || rep.stdout != "ok 1\n" {
		t.Errorf("replay int80: %+v", rep)
	}
}

// Recording starts at the container's execve: the init's Go runtime,
// still running between the filter and execve (its sysmon sleeps with
// nanosleep), is never in the profile, so five recordings of a static
// probe that calls getpid are identical and hold no Go runtime call.
func TestSeccompRecordStartsAtExecve(t *testing.T) {
	needRoot(t)
	var first []byte
	for i := 0; i < 5; i++ {
		prof := filepath.Join(t.TempDir(), "rec.json")
		r := dockerProbe(t, "--rm", "--seccomp-record", prof, "probe", "/bin/probe", "sys", fmt.Sprint(nrGetpid))
		if r.code != 0 || r.stdout != "ok 1\n" {
			t.Fatalf("record: %+v", r)
		}
		p, body := readRecorded(t, prof)
		names, seen := recordedNames(p), seenNames(p)
		for _, n := range []string{"nanosleep", "sigaltstack", "sched_getaffinity", "tgkill", "gettid", "madvise", "clone"} {
			if seen[n] != nil {
				t.Fatalf("run %d: %s recorded; the probe never calls it, the runtime does: %s", i, n, body)
			}
		}
		if names["getpid"] == nil {
			t.Fatalf("run %d: the probe's getpid not recorded: %s", i, body)
		}
		if first == nil {
			first = body
		} else if string(body) != string(first) {
			t.Fatalf("run %d differs from run 0:\n%s\n%s", i, first, body)
		}
	}
}

func sortedNames(p *dockerprofile.Seccomp) []string {
	var out []string
	for n := range recordedNames(p) {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
