package container

import (
	"bytes"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/procfs"
)

// initName is the name the init gives itself; execve replaces it with the
// command's. The parent takes the sync socket closing as "execve worked",
// because the socket is close-on-exec; but a dying init closes it too, and
// an init that a seccomp filter stops from writing can't say why it died.
// The name tells the two apart.
const initName = "minirun-init"

func nameInit() {
	if name, err := unix.BytePtrFromString(initName); err == nil {
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
	}
}

// confirmExec checks, once the socket has closed, that pid really went
// through execve. The kernel renames the task a moment after it closes
// the close-on-exec fds, so a task still named like the init that is not
// dead yet is given a little time.
func confirmExec(pid int) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || string(bytes.TrimSpace(comm)) != initName {
			return nil
		}
		if procfs.Exited(pid) {
			return &Error{Step: "init", Code: ExitRuntime,
				Err: fmt.Errorf("the init (pid %d) died before execve without reporting an error; a seccomp profile that denies a call the runtime still makes after loading it does this", pid)}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(100 * time.Microsecond)
	}
}
