package state

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// CheckRoot refuses a state root that another user could write. Its files
// say which pid `kill` and `delete` signal and which namespaces `exec`
// joins: whoever can replace them can point minirun, running as root, at
// any process on the host. A missing root passes; nothing is read from it.
func CheckRoot(root string) error {
	var st unix.Stat_t
	err := unix.Stat(root, &st)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state root %s: %w", root, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("state root %s: not a directory", root)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("state root %s: owned by uid %d, not by the caller (uid %d): not trusted", root, st.Uid, uid)
	}
	if st.Mode&0o022 != 0 {
		return fmt.Errorf("state root %s: mode %04o lets group or others write it: not trusted (chmod go-w)", root, st.Mode&0o7777)
	}
	return nil
}

// makeRoot creates a missing root 0700, then checks whatever is there.
func makeRoot(root string) error {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("create state root %s: %w", root, err)
	}
	return CheckRoot(root)
}
