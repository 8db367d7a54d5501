package container

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/rootfs"
)

// Idmapped mounts are built by the parent, on the host (see rootfs/idmap.go
// for why), when the init asks for one by its index in spec.Mounts.

const usernsHolderArg = "__minirun-userns-holder"

// IsUsernsHolder reports whether this process was started only to hold a
// user namespace whose fd the parent takes.
func IsUsernsHolder() bool { return len(os.Args) > 1 && os.Args[1] == usernsHolderArg }

// HoldUserns keeps the process (and its user namespace) alive until the
// parent closes its stdin.
func HoldUserns() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// usernsWith makes a user namespace with the given mappings and returns an
// fd for it. The namespace needs a process while its maps are written, so
// a copy of minirun holds it for that moment and then exits.
func usernsWith(uids, gids []specs.LinuxIDMapping) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return -1, err
	}
	cmd := exec.Command(exe, usernsHolderArg)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: idMaps(uids), GidMappings: idMaps(gids),
		Pdeathsig: syscall.SIGKILL,
	}
	hold, err := cmd.StdinPipe()
	if err != nil {
		return -1, err
	}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("start user namespace holder: %w", err)
	}
	// The maps are written before the holder's execve, so they are in
	// place once Start returns.
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	hold.Close()
	_ = cmd.Wait()
	if err != nil {
		return -1, fmt.Errorf("open the holder's user namespace: %w", err)
	}
	return fd, nil
}

// idmappedMount builds spec.Mounts[index] as a detached idmapped mount and
// sends its fd to the init.
func (p *Process) idmappedMount(c initproc.Conn, index int) error {
	s := p.opts.Spec
	if index < 0 || index >= len(s.Mounts) || !rootfs.IsIdmapped(s.Mounts[index]) {
		return stepErrf("idmapped mount", "the init asked for mount %d, which is not an idmapped mount", index)
	}
	m := s.Mounts[index]
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(p.opts.Bundle, src)
	}
	uids, gids := config.MountIDMaps(s, m)
	userns, err := usernsWith(uids, gids)
	if err != nil {
		return stepErrf("idmapped mount", "%s: %w", m.Destination, err)
	}
	defer unix.Close(userns)
	tree, err := rootfs.IdmappedClone(src, m, userns)
	if err != nil {
		return stepErrf("idmapped mount", "%s: %w", m.Destination, err)
	}
	defer unix.Close(tree)
	if err := c.Send(initproc.Message{Type: "ok"}, tree); err != nil {
		return stepErrf("idmapped mount", "send %s to the init: %w", m.Destination, err)
	}
	return nil
}
