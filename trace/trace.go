// Package trace is the one logger minirun's --debug traces go through, on
// both sides of the start: the parent ("minirun") and the init steps
// ("minirun[init]"). Each line carries the time since the process started,
// so a reader sees where the start-up time goes.
package trace

import (
	"fmt"
	"os"
	"strings"
	"time"
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

var started = time.Now()

// Since is the time since this process started, as the traces show it.
func Since() time.Duration { return time.Since(started) }

// New is a Logger for who ("minirun", "minirun[init]"), silent unless on.
func New(on bool, who string) Logger {
	if !on {
		return func(string, ...any) {}
	}
	return func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s %6.2fms: "+format+"\n", append([]any{who, float64(Since().Microseconds()) / 1000}, args...)...)
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
	last time.Duration
}

// NewTimer is a Timer for who, silent unless Timings is on.
func NewTimer(who string) *Timer { return &Timer{who: who} }

// Step ends the step called name and starts the next one.
func (t *Timer) Step(name string) {
	if t == nil || !Timings {
		return
	}
	now := Since()
	fmt.Fprintf(os.Stderr, "%s timing %-26s %7.3f ms  (at %7.2f ms)\n", t.who, name, float64((now-t.last).Microseconds())/1000, float64(now.Microseconds())/1000)
	t.last = now
}

// Skip starts the next step without reporting the time since the last:
// for waits that are no step of ours.
func (t *Timer) Skip() {
	if t != nil {
		t.last = Since()
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

// Warnf reports on stderr a failure the spec says must not stop anything
// (a poststart or poststop hook, a label this host can't apply).
func Warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "minirun: warning: "+format+"\n", args...)
}
