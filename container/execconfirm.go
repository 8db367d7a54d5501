package container

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/internal/procstat"
)

// confirmExec checks, once the socket has closed, that pid really went
// through execve. The kernel renames the task a moment after it closes
// the close-on-exec fds, so a task still named like the init that is not
// dead yet is given a little time.
func confirmExec(pid int) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || string(bytes.TrimSpace(comm)) != initproc.Name {
			return nil
		}
		if st, err := procstat.ReadStat(pid); err != nil || st.Exited() {
			return &Error{Step: "init", Code: ExitRuntime, Err: diedBeforeExec(pid, st.ExitCode)}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// diedBeforeExec says how a silent init died. Killed by SIGKILL, it was
// most likely the memory limit (the OOM killer); by SIGSYS, or exiting on
// its own without a word, a seccomp filter that denies a call the runtime
// still makes after loading it.
func diedBeforeExec(pid, status int) error {
	ws := unix.WaitStatus(status)
	switch {
	case ws.Signaled() && ws.Signal() == unix.SIGKILL:
		return fmt.Errorf("the init (pid %d) was killed by SIGKILL before execve; linux.resources.memory.limit too low for it (OOM kill) does this", pid)
	case ws.Signaled():
		return fmt.Errorf("the init (pid %d) was killed by %v before execve; a seccomp profile that kills on a call the runtime still makes does this", pid, ws.Signal())
	}
	return fmt.Errorf("the init (pid %d) died before execve (exit status %d) without reporting an error; a seccomp profile that denies a call the runtime still makes after loading it does this", pid, ws.ExitStatus())
}
