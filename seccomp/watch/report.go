package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	dockerprofile "github.com/moby/profiles/seccomp"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// Denial is one kind of refused call: the same syscall, ABI, deciding
// arguments and action, counted.
type Denial struct {
	Arch    string   `json:"arch"`
	Syscall string   `json:"syscall"`
	Nr      int      `json:"nr"`
	Args    []uint64 `json:"args,omitempty"` // of the first call
	Call    string   `json:"call"`           // the first call, decoded
	// ArgsVaried: later calls counted here had other arguments, in bits
	// the profile does not decide on (see Source.DecisionKey).
	ArgsVaried bool   `json:"argsVaried,omitempty"`
	Count      int    `json:"count"`
	Pid        int    `json:"pid,omitempty"` // first caller, in the container's pid namespace
	HostPid    int    `json:"hostPid,omitempty"`
	Exe        string `json:"exe,omitempty"`
	Action     string `json:"action"`          // ERRNO(EPERM), KILL_PROCESS, ...
	Errno      string `json:"errno,omitempty"` // what the process got
	// Via: "notification" (answered by minirun), "kernel log" (a kill the
	// kernel did itself, found in its audit record) or "exit signal".
	Via        string       `json:"via"`
	Rule       *Attribution `json:"rule,omitempty"`
	Suggestion *Suggestion  `json:"suggestion,omitempty"`

	ret           uint32
	matchedByTime bool
}

// Suggestion is the smallest change that would allow the call.
type Suggestion struct {
	CapAdd []string               `json:"capAdd,omitempty"`
	Entry  *dockerprofile.Syscall `json:"entry,omitempty"`
}

// Report is what the watch found, for printing at exit.
type Report struct {
	Profile string    `json:"profile"`
	Denials []*Denial `json:"denials"`
	// More counts the refused calls not listed: kinds past the caps on
	// kinds (MaxDenialKinds, MaxDenialKindsPerSyscall), or past the
	// report's size bound.
	More  *More    `json:"more,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// Bounds on the report as written: each denial's reasons (one per entry
// naming the call, which a profile can have thousands of), and the whole,
// past which the remaining kinds are counted in More.
const (
	maxWhy         = 8
	MaxReportBytes = 4 << 20
)

// Report builds the report: each denial with its rule and suggestion.
func (w *Watcher) Report() *Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := &Report{Profile: w.src.Name, Denials: []*Denial{}}
	if w.more != nil {
		m := *w.more
		m.Syscalls = maps.Clone(m.Syscalls)
		r.More = &m
	}
	size := 0
	for _, d := range w.order {
		if size > MaxReportBytes {
			if r.More == nil {
				r.More = &More{}
			}
			r.More.add(d.Syscall, d.Count)
			continue
		}
		var args [6]uint64
		copy(args[:], d.Args)
		if d.Via == "exit signal" {
			d.Rule = w.src.killRules()
		}
		if d.Syscall != "" && d.Via != "exit signal" {
			at := w.src.Attribute(d.Arch, d.Syscall, args, d.ret)
			if len(at.Why) > maxWhy {
				at.Why = append(at.Why[:maxWhy-1], fmt.Sprintf("and %d more entries naming %s", len(at.Why)-(maxWhy-1), d.Syscall))
			}
			d.Rule = &at
			s := &Suggestion{Entry: Suggest(d.Syscall, args)}
			if w.src.CapAddHint {
				for _, c := range at.CapAdd {
					s.CapAdd = append(s.CapAdd, strings.TrimPrefix(c, "CAP_"))
				}
			}
			d.Suggestion = s
		}
		if d.ret&unix.SECCOMP_RET_ACTION_FULL == seccomp.RetErrno {
			d.Errno = errnoName(d.ret & unix.SECCOMP_RET_DATA)
		}
		r.Denials = append(r.Denials, d)
		// The JSON form is the longer; the text line is about as long.
		if b, err := json.Marshal(d); err == nil {
			size += len(b)
		}
	}
	for _, d := range r.Denials {
		if d.Via != "notification" {
			r.Notes = append(r.Notes, "kills are the kernel's own: minirun finds them afterwards in the kernel's audit records and the exit status, not as they happen")
			break
		}
	}
	return r
}

func errnoName(e uint32) string {
	if e == 0 {
		return "0 (success)"
	}
	if n := unix.ErrnoName(unix.Errno(e)); n != "" {
		return n
	}
	return "errno " + strconv.FormatUint(uint64(e), 10)
}

// WriteText prints the report, one line per kind of refused call.
func (r *Report) WriteText(out io.Writer) {
	if len(r.Denials) == 0 && r.More == nil {
		fmt.Fprintf(out, "minirun: seccomp report: no call refused under %s\n", r.Profile)
		return
	}
	n := 0
	for _, d := range r.Denials {
		n += d.Count
	}
	if r.More != nil {
		n += r.More.Calls
	}
	fmt.Fprintf(out, "minirun: seccomp report: %s refused under %s:\n", plural(n, "call"), r.Profile)
	for _, d := range r.Denials {
		fmt.Fprintf(out, "  %s\n", d.Line())
	}
	if r.More != nil {
		fmt.Fprintf(out, "  %s\n", r.More.Line())
	}
	for _, note := range r.Notes {
		fmt.Fprintf(out, "  (%s)\n", note)
	}
}

// WriteJSON writes the report for tools.
func (r *Report) WriteJSON(out io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Line is the denial in one line: the call, what it got, how often and
// by whom, the rule behind it, why, and what would allow it.
func (d *Denial) Line() string {
	var sb strings.Builder
	sb.WriteString(d.Call)
	if d.Arch != "" && d.Arch != seccomp.NativeArch() {
		fmt.Fprintf(&sb, " [%s ABI]", d.Arch)
	}
	switch {
	case d.Errno != "":
		sb.WriteString(" = " + d.Errno)
	case d.Via == "exit signal":
		sb.WriteString(" = killed by SIGSYS")
	default:
		sb.WriteString(" = " + d.Action)
	}
	fmt.Fprintf(&sb, ", %s", plural(d.Count, "time"))
	if d.Pid != 0 {
		fmt.Fprintf(&sb, ", pid %d", d.Pid)
	} else if d.HostPid != 0 {
		fmt.Fprintf(&sb, ", host pid %d", d.HostPid)
	}
	if d.Exe != "" {
		fmt.Fprintf(&sb, " (%s)", d.Exe)
	}
	if d.Via == "kernel log" {
		sb.WriteString(", found in the kernel log")
		if d.matchedByTime {
			sb.WriteString(" by time and action (its pids are another pid namespace's)")
		}
	}
	if d.Rule != nil {
		sb.WriteString(": " + d.Rule.Text)
		for _, why := range d.Rule.Why {
			sb.WriteString("; " + why)
		}
	}
	if s := d.Suggestion; s != nil && s.Entry != nil {
		entry, _ := json.Marshal(s.Entry)
		sb.WriteString("; to allow: ")
		if len(s.CapAdd) > 0 {
			sb.WriteString("--cap-add " + strings.Join(s.CapAdd, " --cap-add ") + ", or ")
		}
		sb.Write(entry)
	}
	return sb.String()
}

// Line says how many refused calls were not listed, and of which syscalls.
func (m *More) Line() string {
	names := sortedKeys(m.Syscalls)
	sort.SliceStable(names, func(i, j int) bool { return m.Syscalls[names[i]] > m.Syscalls[names[j]] })
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, m.Syscalls[n]))
	}
	if m.Other > 0 {
		parts = append(parts, fmt.Sprintf("other syscalls %d", m.Other))
	}
	calls := "calls"
	if m.Calls == 1 {
		calls = "call"
	}
	return fmt.Sprintf("... and %d more %s of kinds not listed (the report lists at most %d kinds, %d per syscall): %s",
		m.Calls, calls, MaxDenialKinds, MaxDenialKindsPerSyscall, strings.Join(parts, ", "))
}

// findKills adds the calls the kernel killed for: its audit records
// (type 1326, logged for kills by default) of the container's processes
// since the start, and a SIGSYS exit of the init with no record.
func (w *Watcher) findKills(ws syscall.WaitStatus) {
	found := false
	var others []*Denial
	sigsys := ws.Signaled() && ws.Signal() == syscall.SIGSYS
	if w.kmsg > 0 {
		buf := make([]byte, 8192)
		// kauditd prints the record after the kill, from its own thread:
		// after a SIGSYS exit, wait a little for it to arrive.
		deadline := time.Now().Add(500 * time.Millisecond)
		for {
			// /dev/kmsg gives one record per read, and EAGAIN at the end.
			n, err := unix.Read(w.kmsg, buf)
			if errors.Is(err, unix.EAGAIN) && sigsys && !found && len(others) == 0 && time.Now().Before(deadline) {
				fds := []unix.PollFd{{Fd: int32(w.kmsg), Events: unix.POLLIN}}
				_, _ = unix.Poll(fds, 50)
				continue
			}
			if err != nil || n == 0 {
				break
			}
			d := parseKillRecord(string(buf[:n]))
			if d == nil {
				continue
			}
			w.mu.Lock()
			switch {
			case d.HostPid == w.initPid:
				d.Pid, _ = w.initNSPid()
				found = true
				w.addKill(d)
			case w.hostPids[d.HostPid]:
				w.addKill(d)
			default:
				others = append(others, d)
			}
			w.mu.Unlock()
		}
	}
	if !sigsys || found {
		return
	}
	// The kernel logs pids as its first pid namespace sees them; when
	// minirun itself runs in a child pid namespace they are not the pids
	// it knows. Then the init's record is the last kill in the run whose
	// call the profile does kill.
	for i := len(others) - 1; i >= 0; i-- {
		d := others[i]
		a, _ := bpf.Lookup(d.Arch)
		if ret, err := bpf.Run(w.orig.Instructions, a, uint32(d.Nr)|a.NrBit, [6]uint64{}); err == nil && sameAction(ret, d.ret) {
			d.Pid, _ = w.initNSPid()
			d.Via = "kernel log"
			d.matchedByTime = true
			w.mu.Lock()
			w.addKill(d)
			w.mu.Unlock()
			return
		}
	}
	pid, _ := w.initNSPid()
	d := &Denial{Call: "(a call the kernel log has no record of; auditd may have taken it)",
		Count: 1, Pid: pid, HostPid: w.initPid, Action: "KILL_PROCESS, KILL_THREAD or TRAP", Via: "exit signal"}
	w.mu.Lock()
	w.order = append(w.order, d)
	w.mu.Unlock()
}

// initNSPid: the init is pid 1 of its own pid namespace when it has one.
func (w *Watcher) initNSPid() (int, bool) {
	if w.initPid == 0 {
		return 0, false
	}
	return 1, true
}

func (w *Watcher) addKill(d *Denial) {
	k := "kill/" + d.Arch + "/" + d.Syscall + "/" + strconv.FormatUint(uint64(d.ret), 16)
	if old := w.denials[k]; old != nil {
		old.Count++
		return
	}
	if !w.roomFor(d.Arch, d.Syscall) {
		return
	}
	w.denials[k] = d
	w.order = append(w.order, d)
}

// parseKillRecord reads a kernel audit record of a seccomp kill or trap:
// "... audit: type=1326 ...: ... pid=N comm="x" exe="/p" sig=31
// arch=c000003e syscall=272 compat=0 ip=0x... code=0x80000000".
func parseKillRecord(line string) *Denial {
	if !strings.Contains(line, "type=1326") {
		return nil
	}
	f := map[string]string{}
	for _, tok := range strings.Fields(line) {
		if k, v, ok := strings.Cut(tok, "="); ok {
			f[k] = strings.Trim(v, `"`)
		}
	}
	code, err := strconv.ParseUint(strings.TrimPrefix(f["code"], "0x"), 16, 32)
	if err != nil {
		return nil
	}
	switch uint32(code) & unix.SECCOMP_RET_ACTION_FULL {
	case seccomp.RetKillProcess, seccomp.RetKillThread, seccomp.RetTrap:
	default:
		return nil
	}
	pid, _ := strconv.Atoi(f["pid"])
	audit, err1 := strconv.ParseUint(f["arch"], 16, 32)
	nr, err2 := strconv.ParseUint(f["syscall"], 10, 32)
	if err1 != nil || err2 != nil {
		return nil
	}
	a, ok := archForData(uint32(audit), uint32(nr))
	if !ok {
		return nil
	}
	name := syscallName(a, uint32(nr))
	return &Denial{Arch: a.Short(), Syscall: name, Nr: int(uint32(nr) &^ a.NrBit), Call: name + "(...)",
		Count: 1, HostPid: pid, Exe: f["exe"], Action: seccomp.ActionString(uint32(code)), Via: "kernel log", ret: uint32(code)}
}
