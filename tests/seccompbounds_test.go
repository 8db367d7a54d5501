package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// floodSrc makes N calls the seccomp watchers see, each with a value of
// its own, and counts how the kernel answered them:
//
//	flood unshare N       unshare((i<<32)|CLONE_NEWUSER): the upper bits
//	                      are ones no profile looks at
//	flood ioctl N BASE    ioctl(-1, BASE+i): N distinct requests (EBADF
//	                      when the call runs)
const floodSrc = `#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	unsigned long base = argc > 3 ? strtoul(argv[3], 0, 0) : 0;
	long ok = 0, eperm = 0, ebadf = 0, other = 0;
	for (long i = 0; i < n; i++) {
		long r;
		if (strcmp(argv[1], "unshare") == 0)
			r = syscall(SYS_unshare, ((unsigned long)(i + 1) << 32) | CLONE_NEWUSER);
		else
			r = syscall(SYS_ioctl, -1, base + (unsigned long)i, 0);
		if (r == 0)
			ok++;
		else if (errno == EPERM)
			eperm++;
		else if (errno == EBADF)
			ebadf++;
		else
			other++;
	}
	printf("%s %ld: ok %ld EPERM %ld EBADF %ld other %ld\n", argv[1], n, ok, eperm, ebadf, other);
	return 0;
}
`

// floodSpec is the default spec running the shell command cmd in a
// rootfs with /bin/flood (floodSrc, built static with gcc).
func floodSpec(t *testing.T, cmd string) *specs.Spec {
	t.Helper()
	needRoot(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found: the flood helper is C built with gcc -static (apt-get install gcc libc6-dev)")
	}
	root := privateRootfs(t)
	src := filepath.Join(t.TempDir(), "flood.c")
	if err := os.WriteFile(src, []byte(floodSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-Wall", "-Werror", "-o", filepath.Join(root, "bin", "flood"), src).CombinedOutput(); err != nil {
		t.Fatalf("build flood: %v\n%s", err, out)
	}
	s := defaultSpec(t, "sh", "-c", cmd)
	s.Root.Path = root
	return s
}

// floodRun is `minirun run FLAGS -b BUNDLE ID` for s, within d, with the
// peak RSS of minirun (the host-side parent that serves the container's
// notifications; rusage takes the largest of it and what it reaped).
func floodRun(t *testing.T, d time.Duration, s *specs.Spec, flags ...string) (result, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	args := append(append([]string{"run"}, flags...), "-b", writeBundle(t, s), containerID(t))
	cmd := exec.CommandContext(ctx, minirun, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		runMinirun(t, "", "delete", "-f", containerID(t))
		t.Fatalf("minirun %v did not end within %v (stdout %q, stderr %.2000q)", flags, d, out.String(), errb.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("minirun %v: %v", args, err)
	}
	var maxRSS int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss * 1024
	}
	return result{out.String(), errb.String(), code}, maxRSS
}

const floodRSSLimit = 100 << 20

// Issue 19, item 2: 100,000 refused calls that vary only in bits no rule
// tests are one kind of refusal, and 100,000 distinct refused ioctl
// requests are listed up to the per-syscall cap and counted after: the
// parent stays under 100 MB, the report stays small, and it still names
// the rule and the fix.
func TestSeccompReportBounded(t *testing.T) {
	needRoot(t)
	s := floodSpec(t, "flood unshare 100000; flood ioctl 100000 0x7f000000")
	one := uint(1)
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"unshare"}, Action: specs.ActErrno, ErrnoRet: &one},
		{Names: []string{"ioctl"}, Action: specs.ActErrno, ErrnoRet: &one,
			Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0xff000000, ValueTwo: 0x7f000000, Op: specs.OpMaskedEqual}}},
	}}
	r, rss := floodRun(t, 3*time.Minute, s, "--seccomp-report")
	t.Logf("minirun peak RSS %d MB, stderr %d bytes", rss>>20, len(r.stderr))
	if r.code != 0 || r.stdout != "unshare 100000: ok 0 EPERM 100000 EBADF 0 other 0\nioctl 100000: ok 0 EPERM 100000 EBADF 0 other 0\n" {
		t.Fatalf("flood under the report: code %d, stdout %q, stderr %.3000s", r.code, r.stdout, r.stderr)
	}
	if rss == 0 || rss > floodRSSLimit {
		t.Errorf("minirun's peak RSS %d MB, over %d MB", rss>>20, floodRSSLimit>>20)
	}
	if len(r.stderr) > 1<<20 {
		t.Errorf("report: %d bytes on stderr, want under 1 MiB", len(r.stderr))
	}
	mustContain(t, "report header", r.stderr, "minirun: seccomp report: 200000 calls refused under ")
	mustMatch(t, "unshare", reportLine(t, r, "unshare("),
		`= EPERM, 100000 times, pid [0-9]+ \(/bin/flood\): refused by rule 0 \{names unshare, action SCMP_ACT_ERRNO, errnoRet 1\}; to allow: \{"names":\["unshare"\]`)
	mustMatch(t, "ioctl", reportLine(t, r, "ioctl("), `= EPERM, 1 time, pid [0-9]+ \(/bin/flood\): refused by rule 1 .*; to allow: \{"names":\["ioctl"\],"action":"SCMP_ACT_ALLOW","args":\[\{"index":1,"value":2130706432`)
	ioctls := regexp.MustCompile(`(?m)^  ioctl\(`).FindAllStringIndex(r.stderr, -1)
	if len(ioctls) != 64 {
		t.Errorf("%d ioctl kinds listed, want 64", len(ioctls))
	}
	if more := "  ... and 99936 more calls of kinds not listed (the report lists at most 1024 kinds, 64 per syscall): ioctl 99936\n"; !strings.Contains(r.stderr, more) {
		t.Errorf("no %q in the report; its end: %s", more, r.stderr[max(0, len(r.stderr)-2000):])
	}

	// As JSON: the same counts, and a bounded file.
	out := filepath.Join(t.TempDir(), "report.json")
	r, rss = floodRun(t, 3*time.Minute, s, "--seccomp-report="+out)
	if r.code != 0 || rss > floodRSSLimit {
		t.Fatalf("JSON report run: code %d, peak RSS %d MB, stderr %.2000s", r.code, rss>>20, r.stderr)
	}
	body, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Denials []struct {
			Syscall    string
			Count      int
			ArgsVaried bool
		}
		More struct {
			Calls    int
			Syscalls map[string]int
		}
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("%v\n%.2000s", err, body)
	}
	if len(body) > 1<<20 || len(rep.Denials) != 65 || rep.Denials[0].Syscall != "unshare" || rep.Denials[0].Count != 100000 || !rep.Denials[0].ArgsVaried ||
		rep.More.Calls != 99936 || rep.More.Syscalls["ioctl"] != 99936 {
		t.Errorf("JSON report: %d bytes, %d denials, more %+v", len(body), len(rep.Denials), rep.More)
	}
}

// Issue 19, item 3: 200,000 distinct ioctl requests under the recorder.
// The parent stays under 100 MB, the profile is written (ioctl allowed for
// any request past the cap on values kept), one line on stderr says so,
// and the profile replays: the same calls get the same answers.
func TestSeccompRecordBounded(t *testing.T) {
	needRoot(t)
	const want = "ioctl 200000: ok 0 EPERM 0 EBADF 200000 other 0\n"
	s := floodSpec(t, "exec flood ioctl 200000 0x7f000000")
	prof := filepath.Join(t.TempDir(), "rec.json")
	r, rss := floodRun(t, 3*time.Minute, s, "--seccomp-record", prof)
	t.Logf("minirun peak RSS %d MB", rss>>20)
	if r.code != 0 || r.stdout != want {
		t.Fatalf("flood under the recorder: code %d, stdout %q, stderr %.3000s", r.code, r.stdout, r.stderr)
	}
	if rss == 0 || rss > floodRSSLimit {
		t.Errorf("minirun's peak RSS %d MB, over %d MB", rss>>20, floodRSSLimit>>20)
	}
	note := "minirun: seccomp record: more than 32 distinct values of ioctl (args[1], on x86_64): the profile allows it with any value there\n"
	if r.stderr != note {
		t.Errorf("stderr:\n got %q\nwant %q", r.stderr, note)
	}
	p, body := readRecorded(t, prof)
	if len(body) > 64<<10 {
		t.Errorf("recorded profile: %d bytes", len(body))
	}
	if e := seenNames(p)["ioctl"]; e == nil || len(e.Args) != 0 || !strings.Contains(e.Comment, "more than 32 distinct values") {
		t.Errorf("ioctl entry: %+v\n%s", e, body)
	}

	// Replay under what was recorded.
	rs := floodSpec(t, "exec flood ioctl 200000 0x7f000000")
	rs.Linux.Seccomp = dockerProfile(t, rs, string(body))
	rep, _ := floodRun(t, 3*time.Minute, rs)
	if rep.code != 0 || rep.stdout != want {
		t.Errorf("replay: %+v", rep)
	}
}
