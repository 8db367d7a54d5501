// Package procstat reads the few /proc/PID facts minirun needs about a
// process: its run state and its start time.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Stat is the part of /proc/PID/stat minirun uses.
type Stat struct {
	State     byte   // R, S, D, Z, X, ...
	StartTime uint64 // clock ticks after boot; with the pid it names one process for good
	// Exiting: PF_EXITING (flags, field 9). A pid namespace's init that
	// has exited stays in this state, neither running nor a zombie,
	// until every process of its namespace has been reaped, which a
	// non-reaping parent outside the namespace may never do.
	Exiting bool
	// ExitCode is a zombie's wait status (field 52), readable before
	// anyone reaps it; 0 while it runs, or on kernels before 3.5.
	ExitCode int
}

// ReadStat reads /proc/PID/stat once.
func ReadStat(pid int) (Stat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	// comm may hold spaces and parentheses: fields resume after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := bytes.Fields(data[i+1:])
	// fields[0] is field 3 (state); starttime is field 22.
	if len(fields) < 20 || len(fields[0]) != 1 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat: start time: %w", pid, err)
	}
	st := Stat{State: fields[0][0], StartTime: start}
	if flags, err := strconv.ParseUint(string(fields[6]), 10, 64); err == nil {
		st.Exiting = flags&pfExiting != 0
	}
	if len(fields) > 49 {
		st.ExitCode, _ = strconv.Atoi(string(fields[49]))
	}
	return st, nil
}

// Exited reports whether the process is dead: gone, a zombie, or dying
// (PF_EXITING) and only waiting to be reaped.
func (s Stat) Exited() bool { return s.State == 'Z' || s.State == 'X' || s.Exiting }

const pfExiting = 0x4 // include/linux/sched.h

// Exited reports whether pid has exited, or never existed.
func Exited(pid int) bool {
	st, err := ReadStat(pid)
	return err != nil || st.Exited()
}
