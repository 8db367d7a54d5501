// Package trace is the one logger minirun's --debug traces go through, on
// both sides of the start: the parent and the init steps (lines that
// start "init: "). Each line carries the time since minirun started, so a
// reader sees where the start-up time goes. The lines have logrus's shape,
// as runc's do (logline.go).
package trace

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Logger receives trace lines. Call it, or its Log method, which also
// takes a nil Logger as silent.
type Logger func(format string, args ...any)

// Log writes one line, if l is on.
func (l Logger) Log(format string, args ...any) {
	if l != nil {
		l(format, args...)
	}
}

// Times are read on CLOCK_MONOTONIC, which every process on the host
// reads alike, so the init can put its times on its parent's line: "at"
// is then the time since minirun started, on both sides.
var (
	started = Now() // this process's trace began
	epoch   = started
)

// Now is the time on CLOCK_MONOTONIC.
func Now() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

// Since is the time since the epoch (this process's start, or its
// parent's after SetEpoch), as the traces show it.
func Since() time.Duration { return Now() - epoch }

// Epoch is what Since counts from, for SetEpoch in a child.
func Epoch() int64 { return int64(epoch) }

// SetEpoch makes Since count from a parent's Epoch.
func SetEpoch(e int64) {
	if e > 0 {
		epoch = time.Duration(e)
	}
}

// New is a Logger whose lines start with prefix ("" for the parent,
// "init: " for the init), silent unless on. Each line goes to the log at
// level debug, or to stderr in the log's text form when no log is set
// (the Go API's Debug without the CLI), with the time since minirun
// started in its "at" field.
func New(on bool, prefix string) Logger {
	if !on {
		return func(string, ...any) {}
	}
	return func(format string, args ...any) {
		msg := prefix + fmt.Sprintf(format, args...)
		at := fmt.Sprintf("%.2fms", float64(Since().Microseconds())/1000)
		if !Log(LevelDebug, msg, "at", at) {
			_, _ = os.Stderr.Write(FormatLine(time.Now(), LevelDebug, msg, false, "at", at))
		}
	}
}

// Timings, when on, makes Timer print one line per step with its
// duration (minirun --debug=timings). The parent sets it from the flag and
// passes it to the init in its config.
var Timings bool

// Timer measures a sequence of steps: each Step prints the time since the
// previous one (or since the process started, for the first).
type Timer struct {
	who  string
	last time.Duration // on Now's clock; 0 before the first step
}

// NewTimer is a Timer for who, silent unless Timings is on.
func NewTimer(who string) *Timer { return &Timer{who: who} }

// Step ends the step called name and starts the next one.
func (t *Timer) Step(name string) {
	if t == nil || !Timings {
		return
	}
	t.StepAt(name, Now())
}

// StepAt is Step for a step that ended at now (a Now reading taken
// before the timings were known to be wanted).
func (t *Timer) StepAt(name string, now time.Duration) {
	if t == nil || !Timings {
		return
	}
	if t.last == 0 {
		t.last = started
	}
	fmt.Fprintf(os.Stderr, "%s timing %-26s %7.3f ms  (at %7.2f ms)\n", t.who, name, float64((now-t.last).Microseconds())/1000, float64((now-epoch).Microseconds())/1000)
	t.last = now
}

// Skip starts the next step without reporting the time since the last:
// for waits that are no step of ours.
func (t *Timer) Skip() {
	if t != nil {
		t.last = Now()
	}
}

// PeakRSS prints this process's peak resident set size (VmHWM) and its
// anonymous RSS, when
// Timings is on: the parent's at its end, the init's just before execve.
func (t *Timer) PeakRSS() {
	if t == nil || !Timings {
		return
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	var hwm, anon string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			anon = strings.TrimSpace(v)
		}
	}
	// Most of it is the binary's pages, shared with every other minirun;
	// the anonymous part is what a memory limit is charged for.
	fmt.Fprintf(os.Stderr, "%s timing peak RSS %s (anonymous now %s)\n", t.who, hwm, anon)
}

// Warnf reports a failure the spec says must not stop anything (a
// poststart or poststop hook, a label this host can't apply): in the log
// at level warning when there is one, else on stderr. An engine that
// gives --log reads the runtime's messages there, as runc writes them;
// under containerd's shim the runtime's stderr is the container's own, and
// a warning on it would show in the container's output.
func Warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !Log(LevelWarning, msg) {
		fmt.Fprintf(os.Stderr, "minirun: warning: %s\n", msg)
	}
}
