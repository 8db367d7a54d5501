package initproc

import (
	"errors"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/hooks"
	"github.com/minirun/minirun/internal/trace"
)

// The init steps of the lifecycle (cgroup namespace, keyring, hooks,
// console), kept here so init.go stays the readable list of steps.

// enterCgroupNamespace makes the cgroup namespace now that the parent has
// moved us into the container's cgroup: it is rooted where we stand.
func enterCgroupNamespace(sys system, cfg *Config, log trace.Logger) error {
	if !cfg.UnshareCgroupNS {
		return nil
	}
	log("unshare cgroup namespace")
	if err := sys.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return stepErrf("cgroup namespace", "unshare CLONE_NEWCGROUP: %w", err)
	}
	return nil
}

// joinSessionKeyring gives the container a keyring of its own, so it can't
// read or add to the keys of whoever started it.
func joinSessionKeyring(sys system, cfg *Config, log trace.Logger) error {
	if cfg.NoNewKeyring {
		return nil
	}
	name := "_ses." + cfg.ID
	if cfg.ID == "" {
		name = "_ses"
	}
	err := sys.JoinSessionKeyring(name)
	if err != nil && !errors.Is(err, unix.ENOSYS) {
		return stepErrf("session keyring", "keyctl join %s: %w", name, err)
	}
	log("session keyring %s", name)
	return nil
}

// hasInitHooks says whether the init must stop for the runtime's hooks or
// needs the state for its own.
func hasInitHooks(s *specs.Spec) bool {
	for _, k := range []string{hooks.Prestart, hooks.CreateRuntime, hooks.CreateContainer, hooks.StartContainer} {
		if len(hooks.Of(s, k)) > 0 {
			return true
		}
	}
	return false
}

// createHooks runs where the spec puts them: the parent runs prestart and
// createRuntime in the runtime's namespaces while the init waits, then the
// init runs createContainer in the container's namespaces, after the
// mounts and before pivot_root (so host paths still resolve). It returns
// the state for startContainer.
func createHooks(sys system, cfg *Config, log trace.Logger) (*specs.State, error) {
	if !hasInitHooks(cfg.Spec) && !cfg.AwaitParent {
		return nil, nil
	}
	if err := sys.Send(Message{Type: "hooks"}, -1); err != nil {
		return nil, stepErrf("hooks", "ask parent for createRuntime hooks: %w", err)
	}
	var m Message
	if _, err := sys.Recv(&m); err != nil || m.Type != "ok" || m.State == nil {
		// The parent reports its own hook failure; we just stop.
		return nil, stepErrf("hooks", "createRuntime hooks did not complete (%v)", err)
	}
	log("createContainer hooks")
	if err := hooks.RunEach(sys.RunHook, cfg.Rootfs, cfg.Spec, hooks.CreateContainer, *m.State); err != nil {
		return nil, err
	}
	return m.State, nil
}

// startContainerHooks run in the container, after start and just before
// execve of the user's process.
func startContainerHooks(sys system, cfg *Config, st *specs.State, log trace.Logger) error {
	if st == nil || len(hooks.Of(cfg.Spec, hooks.StartContainer)) == 0 {
		return nil
	}
	log("startContainer hooks")
	s := *st
	s.Status = specs.StateCreated
	return hooks.RunEach(sys.RunHook, "", cfg.Spec, hooks.StartContainer, s)
}
