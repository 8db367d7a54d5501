package netlo

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// In a network namespace of its own, on a thread that is never handed
// back (it ends with the test's goroutine), lo starts down and Up brings
// it up.
func TestUpInFreshNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it makes a network namespace")
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		if before, err := up(); err != nil || before {
			done <- fmt.Errorf("before Up: lo up=%v, err=%v; want down", before, err)
			return
		}
		if err := Up(); err != nil {
			done <- err
			return
		}
		if after, err := up(); err != nil || !after {
			done <- fmt.Errorf("after Up: lo up=%v, err=%v; want up", after, err)
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func up() (bool, error) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return false, err
	}
	return lo.Flags&net.FlagUp != 0, nil
}
