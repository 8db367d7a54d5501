package state

import (
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/procstat"
)

// StartTime reads a process's start time (clock ticks after boot). With the
// pid it names one process for good.
func StartTime(pid int) (uint64, error) {
	st, err := procstat.ReadStat(pid)
	return st.StartTime, err
}

// Alive reports whether pid still is the process that started at start,
// and not a zombie.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := procstat.ReadStat(pid)
	return err == nil && st.StartTime == start && !st.Exited() && unix.Kill(pid, 0) == nil
}
