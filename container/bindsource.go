package container

import (
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/rootfs"
)

// bindSourcesFromParent says whether the init asks this process for its
// bind sources (rootfs/bindsource.go): it has a user namespace and a mount
// namespace, this process is the host's root, and there is a bind that is
// not idmapped (those come from the parent whole). Rootless, the caller
// reaches nothing the init could not, and runc does the same.
func bindSourcesFromParent(s *specs.Spec, plan namespaces.Plan) bool {
	if Rootless() || !plan.Has(specs.UserNamespace) || !plan.Has(specs.MountNamespace) {
		return false
	}
	for _, m := range s.Mounts {
		if rootfs.IsBind(m) && !rootfs.IsIdmapped(m) {
			return true
		}
	}
	return false
}

// bindSource answers the init's request for the source of bind mount
// index: a handle opened below the init's root with this process's
// permissions, or "none" when it can't be opened that way, and the init
// then tries the path itself and reports its own error.
func (p *Process) bindSource(c initproc.Conn, index int) error {
	s := p.opts.Spec
	if index < 0 || index >= len(s.Mounts) || !rootfs.IsBind(s.Mounts[index]) || rootfs.IsIdmapped(s.Mounts[index]) {
		return stepErrf("bind source", "the init asked for the source of mount %d, which is not a bind mount", index)
	}
	m := s.Mounts[index]
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(p.opts.Bundle, src)
	}
	fd, err := rootfs.OpenBindSource(p.Pid, src)
	if err != nil {
		debugf(p.opts.Debug, "bind source %s for %s: %v; the init opens it itself", src, m.Destination, err)
		return stepErr("bind source", c.Send(initproc.Message{Type: "none"}, -1))
	}
	defer unix.Close(fd)
	debugf(p.opts.Debug, "bind source %s for %s opened for the init", src, m.Destination)
	return stepErr("bind source", c.Send(initproc.Message{Type: "ok"}, fd))
}
