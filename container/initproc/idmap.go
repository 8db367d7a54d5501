package initproc

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/internal/trace"
)

// Idmapped mounts are built by the parent, on the host (container/idmap.go),
// when the init asks for one by its index in spec.Mounts.

// requestIdmappedMount is the init's half: it asks the parent for mount
// index and attaches what it gets.
func requestIdmappedMount(sys system, cfg *Config, index int, m specs.Mount, log trace.Logger) error {
	if err := sys.Send(Message{Type: "idmap", Index: index}, -1); err != nil {
		return stepErrf("mount "+m.Destination, "ask for the idmapped mount: %w", err)
	}
	var answer Message
	fd, err := sys.Recv(&answer)
	if err != nil || answer.Type != "ok" || fd < 0 {
		return stepErrf("mount "+m.Destination, "no idmapped mount from the parent (%v)", err)
	}
	defer sys.Close(fd)
	if err := sys.MountIn(cfg.Rootfs, m, mountSource{fd: fd, detached: true}); err != nil {
		return stepErr("mount "+m.Destination, err)
	}
	return nil
}
