package watch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	dockerprofile "github.com/moby/profiles/seccomp"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// A denial is keyed on what the profile decides on: unshare's upper 32
// bits, which no rule looks at, make no new kinds; another namespace flag
// and another ioctl request do.
func TestDecisionKeyMasked(t *testing.T) {
	src := DockerSource("Docker's default profile", seccomp.DockerDefault(), dockerCaps, true)
	base := src.DecisionKey("x86_64", "unshare", [6]uint64{unix.CLONE_NEWUSER})
	for i := uint64(1); i < 1000; i++ {
		if k := src.DecisionKey("x86_64", "unshare", [6]uint64{i<<32 | unix.CLONE_NEWUSER, i}); k != base {
			t.Fatalf("unshare(%#x): key %q, want %q", i<<32|unix.CLONE_NEWUSER, k, base)
		}
	}
	if k := src.DecisionKey("x86_64", "unshare", [6]uint64{unix.CLONE_NEWNET}); k == base {
		t.Errorf("CLONE_NEWNET and CLONE_NEWUSER share key %q", k)
	}
	if a, b := src.DecisionKey("x86_64", "ioctl", [6]uint64{0, 0x5401}), src.DecisionKey("x86_64", "ioctl", [6]uint64{0, 0x5412}); a == b {
		t.Errorf("two ioctl requests share key %q", a)
	}
	// A call no suggestion keys on (setns) is keyed on its rules'
	// conditions, under their masks: only the bit the rule tests counts.
	p := `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["setns"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":1073741824,"valueTwo":1073741824,"op":"SCMP_CMP_MASKED_EQ"}]}]}`
	var d dockerprofile.Seccomp
	if err := json.Unmarshal([]byte(p), &d); err != nil {
		t.Fatal(err)
	}
	own := DockerSource("p.json", &d, dockerCaps, false)
	if a, b := own.DecisionKey("x86_64", "setns", [6]uint64{3, unix.CLONE_NEWUSER}), own.DecisionKey("x86_64", "setns", [6]uint64{4, unix.CLONE_NEWUSER | 1<<40}); a != b {
		t.Errorf("setns keys differ where the rule's mask does not look: %q %q", a, b)
	}
	if a, b := own.DecisionKey("x86_64", "setns", [6]uint64{3, unix.CLONE_NEWUSER}), own.DecisionKey("x86_64", "setns", [6]uint64{3, unix.CLONE_NEWNET}); a == b {
		t.Errorf("setns keys equal where the rule's mask decides: %q", a)
	}
}

// noteN feeds the watcher n refused calls, as the supervisor would.
func noteN(w *Watcher, n int, arch string, nr int32, args func(i int) [6]uint64, ret uint32) {
	a, _ := bpf.Lookup(arch)
	for i := 0; i < n; i++ {
		// An fd that is no listener: the id never validates, so the
		// denial is kept without the pid it can't trust, as when the
		// caller died while it was read.
		w.noteDenial(listener(-1), &notif{ID: uint64(i), Pid: uint32(os.Getpid()), Data: notifData{Nr: nr, Arch: a.Audit, Args: args(i)}}, a, ret)
	}
}

// The kinds of refusal the report keeps are capped, per syscall and in
// all; the calls past the caps are counted, and what was listed keeps its
// rule and its fix. The supervisor's heap stays small.
func TestReportCapsKinds(t *testing.T) {
	src := DockerSource("Docker's default profile", seccomp.DockerDefault(), dockerCaps, true)
	w := NewReport(src)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	eperm := uint32(seccomp.RetErrno | 1)
	// 100,000 unshare calls differing only in bits no rule tests: one kind.
	noteN(w, 100000, "x86_64", unix.SYS_UNSHARE, func(i int) [6]uint64 { return [6]uint64{uint64(i)<<32 | unix.CLONE_NEWUSER} }, eperm)
	// 100,000 distinct ioctl requests: MaxDenialKindsPerSyscall kinds.
	noteN(w, 100000, "x86_64", unix.SYS_IOCTL, func(i int) [6]uint64 { return [6]uint64{0, 0x7f000000 + uint64(i)} }, eperm)
	// Made-up numbers, each its own name: the cap in all.
	for i := 0; i < 3000; i++ {
		noteN(w, 1, "x86_64", int32(1000+i), func(int) [6]uint64 { return [6]uint64{} }, seccomp.RetErrno|38)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("heap grew %d bytes over 203,000 refusals", grew)
	}
	if len(w.order) != MaxDenialKinds || len(w.denials) != MaxDenialKinds {
		t.Fatalf("%d kinds kept (%d keys), want %d", len(w.order), len(w.denials), MaxDenialKinds)
	}
	r := w.Report()
	u := r.Denials[0]
	if u.Syscall != "unshare" || u.Count != 100000 || !u.ArgsVaried || u.Rule == nil || u.Suggestion == nil {
		t.Fatalf("unshare: %+v", u)
	}
	ioctls := 0
	for _, d := range r.Denials {
		if d.Syscall == "ioctl" {
			ioctls++
		}
	}
	if ioctls != MaxDenialKindsPerSyscall {
		t.Errorf("%d ioctl kinds listed, want %d", ioctls, MaxDenialKindsPerSyscall)
	}
	wantMore := (100000 - MaxDenialKindsPerSyscall) + (3000 - (MaxDenialKinds - 1 - MaxDenialKindsPerSyscall))
	if r.More == nil || r.More.Calls != wantMore || r.More.Syscalls["ioctl"] != 100000-MaxDenialKindsPerSyscall ||
		len(r.More.Syscalls) > maxMoreSyscalls || r.More.Other == 0 {
		t.Fatalf("more: %+v, want %d calls", r.More, wantMore)
	}
	var text bytes.Buffer
	r.WriteText(&text)
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	if len(lines) != 1+MaxDenialKinds+1 {
		t.Errorf("%d lines", len(lines))
	}
	if !strings.HasPrefix(lines[0], fmt.Sprintf("minirun: seccomp report: %d calls refused under Docker's default profile:", 203000)) {
		t.Errorf("header: %s", lines[0])
	}
	if want := fmt.Sprintf("  ... and %d more calls of kinds not listed", wantMore); !strings.HasPrefix(lines[len(lines)-1], want) ||
		!strings.Contains(lines[len(lines)-1], fmt.Sprintf("ioctl %d", 100000-MaxDenialKindsPerSyscall)) {
		t.Errorf("last line: %s\nwant %s...", lines[len(lines)-1], want)
	}
	if l := lines[1]; !strings.Contains(l, "100000 times, ") ||
		!strings.Contains(l, "not in any allow rule") || !strings.Contains(l, "to allow: --cap-add SYS_ADMIN") {
		t.Errorf("unshare line: %s", l)
	}
	if text.Len() > MaxReportBytes {
		t.Errorf("text report: %d bytes", text.Len())
	}
}

// A profile with thousands of entries naming the call gives each denial
// a bounded list of reasons; an entry with a long comment, quoted in each
// denial it refused, stops the listing at the report's size bound.
func TestReportBoundedSize(t *testing.T) {
	var sb strings.Builder
	fmt.Fprintf(&sb, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","comment":"%s","args":[{"index":1,"value":65536,"op":"SCMP_CMP_LT"}]}`,
		strings.Repeat("x", 200000))
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&sb, `,{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":%d,"op":"SCMP_CMP_EQ"}]}`, 0x10000+i)
	}
	sb.WriteString(`]}`)
	var d dockerprofile.Seccomp
	if err := json.Unmarshal([]byte(sb.String()), &d); err != nil {
		t.Fatal(err)
	}
	w := NewReport(DockerSource("big.json", &d, dockerCaps, false))
	noteN(w, 5000, "x86_64", unix.SYS_IOCTL, func(i int) [6]uint64 { return [6]uint64{0, uint64(i)} }, seccomp.RetErrno|1)
	r := w.Report()
	for _, d := range r.Denials {
		if len(d.Rule.Why) > maxWhy || !strings.Contains(d.Rule.Why[maxWhy-1], "more entries naming ioctl") {
			t.Fatalf("reasons: %d: %q", len(d.Rule.Why), d.Rule.Why[len(d.Rule.Why)-1])
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if js.Len() > MaxReportBytes+MaxReportBytes/4 {
		t.Errorf("JSON report: %d bytes", js.Len())
	}
	if len(r.Denials) >= MaxDenialKindsPerSyscall || r.More == nil || r.More.Calls != 5000-len(r.Denials) {
		t.Errorf("%d listed, more: %+v", len(r.Denials), r.More)
	}
	if r.Denials[0].Rule.Rule != 0 {
		t.Errorf("rule: %+v", r.Denials[0].Rule)
	}
}

// Past MaxRecordedValues values, a call is recorded for any value: the
// profile loads, allows every value, says so, and merges back.
func TestRecordCapsValues(t *testing.T) {
	o := newObservations()
	o.add("x86_64", "openat", false, 0)
	for v := uint64(0); v < 200000; v++ {
		o.add("x86_64", "ioctl", true, 0x7f000000+v)
	}
	o.add("x86", "ioctl", true, 0x5401)
	if len(o.values["ioctl"]["x86_64"]) != 0 || !o.wide["ioctl"]["x86_64"] || len(o.values["ioctl"]["x86"]) != 1 {
		t.Fatalf("values %d, wide %v", len(o.values["ioctl"]["x86_64"]), o.wide)
	}
	// Every keyed call at the cap on every ABI still makes a profile
	// that loads and compiles.
	for _, name := range []string{"clone", "unshare", "socket", "prctl", "personality"} {
		for _, abi := range []string{"x86_64", "x86", "x32"} {
			for v := uint64(0); v < MaxRecordedValues; v++ {
				o.add(abi, name, true, v)
			}
		}
	}
	req := []string{"execve", "write"}
	body, _ := json.Marshal(o.profile(req))
	s, err := seccomp.ParseProfile(body, dockerCaps)
	if err != nil {
		t.Fatalf("recorded profile does not load: %v\n%s", err, body)
	}
	prog, err := seccomp.Compile(s)
	if err != nil {
		t.Fatalf("recorded profile does not compile: %v", err)
	}
	for _, v := range []uint64{0, 0x5401, 0x7f000000, 0x7f000000 + 199999, 0xdeadbeef} {
		if got, err := prog.Evaluate("x86_64", "ioctl", [6]uint64{0, v}); err != nil || got != seccomp.RetAllow {
			t.Errorf("ioctl %#x: %s %v", v, seccomp.ActionString(got), err)
		}
	}
	if got, _ := prog.Evaluate("x86_64", "socket", [6]uint64{MaxRecordedValues}); got == seccomp.RetAllow {
		t.Errorf("socket with a value not seen allowed")
	}
	if !strings.Contains(string(body), `"comment":"seen on x86_64: ioctl with more than 32 distinct values of args[1], allowed with any"`) {
		t.Errorf("no comment for the wide rule:\n%s", body)
	}
	var d dockerprofile.Seccomp
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	m := newObservations()
	if err := m.merge(&d, "rec.json"); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(m.profile(req))
	if string(again) != string(body) {
		t.Errorf("merge changed the profile:\n got %s\nwant %s", again, body)
	}
	w := &Watcher{record: true, rec: o}
	if note := w.RecordNote(); note != "more than 32 distinct values of ioctl (args[1], on x86_64): the profile allows it with any value there" {
		t.Errorf("note: %q", note)
	}
	if note := (&Watcher{record: true, rec: newObservations()}).RecordNote(); note != "" {
		t.Errorf("note with nothing capped: %q", note)
	}
}
