// Package trace is the one logger minirun's --debug traces go through, on
// both sides of the start: the parent ("minirun") and the init steps
// ("minirun[init]"). Each line carries the time since the process started,
// so a reader sees where the start-up time goes.
package trace

import (
	"fmt"
	"os"
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
