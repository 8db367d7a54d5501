package initproc

import (
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Bind sources in a user namespace come from the parent (see
// rootfs/bindsource.go for why), one request per mount, by its index in
// spec.Mounts: the parent opens the source below this process's root, so
// it resolves to what this process would find there, only with the
// parent's permissions.

// mountFromParent asks the parent for bind mount index's source and
// mounts from the handle it gets. done is false when the parent could not
// open it (a source on procfs, say): the init then mounts by path as
// without a user namespace, and its error is the one reported.
func mountFromParent(sys system, cfg *Config, index int, m specs.Mount) (done bool, err error) {
	if err := sys.Send(Message{Type: "bindsrc", Index: index}, -1); err != nil {
		return false, stepErrf("mount "+m.Destination, "ask the parent for bind source %s: %w", m.Source, err)
	}
	var answer Message
	fd, err := sys.Recv(&answer)
	if err != nil {
		return false, stepErrf("mount "+m.Destination, "bind source %s from the parent: %w", m.Source, err)
	}
	if answer.Type != "ok" || fd < 0 {
		if fd >= 0 {
			sys.Close(fd)
		}
		return false, nil
	}
	defer sys.Close(fd)
	if err := sys.MountIn(cfg.Rootfs, m, mountSource{fd: fd}); err != nil {
		return false, stepErr("mount "+m.Destination, err)
	}
	return true, nil
}
