package container

import (
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOverrides are exec's command-line changes to the container's own
// process.
type ExecOverrides struct {
	Args []string
	Env  []string // KEY=VALUE, added or replacing
	Cwd  string
	User *specs.User
	Caps []string // added to bounding, effective and permitted
	Tty  bool
	// NoNewPrivs turns no_new_privs on for this process.
	NoNewPrivs bool
	// AdditionalGids are the process's supplementary groups, replacing
	// the container's (runc's --additional-gids).
	AdditionalGids []uint32
	// Unconfined runs the process without the container's seccomp
	// filter: Docker's exec --privileged, which also adds every
	// capability (Caps).
	Unconfined bool
}

// ExecProcess is the container's process with o applied: what `exec`
// runs when no --process file is given.
func ExecProcess(base *specs.Process, o ExecOverrides) *specs.Process {
	p := *base
	p.Args = o.Args
	p.Terminal = o.Tty
	p.ConsoleSize = nil
	p.Env = MergeEnv(base.Env, o.Env...)
	if o.Cwd != "" {
		p.Cwd = o.Cwd
	}
	if o.User != nil {
		p.User = *o.User
	}
	if len(o.AdditionalGids) > 0 {
		p.User.AdditionalGids = append([]uint32(nil), o.AdditionalGids...)
	}
	if o.NoNewPrivs {
		p.NoNewPrivileges = true
	}
	if len(o.Caps) > 0 && base.Capabilities != nil {
		// Never inheritable: a capability there survives execve of a
		// file with matching file capabilities, so an unprivileged user in
		// the container could gain it (CVE-2022-29162).
		c := *base.Capabilities
		c.Bounding = appendNew(c.Bounding, o.Caps)
		c.Effective = appendNew(c.Effective, o.Caps)
		c.Permitted = appendNew(c.Permitted, o.Caps)
		p.Capabilities = &c
	}
	return &p
}

// MergeEnv sets each KEY=VALUE of add over base, keeping base's order: the
// environment a process gets when an image, a flag or exec -e adds to it.
func MergeEnv(base []string, add ...string) []string {
	out := append([]string(nil), base...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func appendNew(set, add []string) []string {
	out := append([]string{}, set...)
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
