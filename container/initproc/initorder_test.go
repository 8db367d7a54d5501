package initproc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/container/internal/spectest"
	"github.com/minirun/minirun/errdefs"
)

// config is the shape's config, as the parent sends it.
func (sh shape) config() *Config {
	s := spectest.Spec()
	s.Root = &specs.Root{Path: "/rootfs"}
	s.Process.NoNewPrivileges = sh.noNewPrivs
	s.Process.Terminal = sh.terminal
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	if sh.noMountNS {
		s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.MountNamespace })
		// The parent refuses all of these without a mount namespace.
		s.Mounts, s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil, nil
	}
	if sh.userNS {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	}
	if sh.hooks {
		s.Hooks = &specs.Hooks{
			CreateContainer: []specs.Hook{{Path: "/bin/create-hook"}},
			StartContainer:  []specs.Hook{{Path: "/bin/start-hook"}},
		}
	}
	// A process attribute, so that its call shows where they are set.
	s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux}
	if sh.rlimits {
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 100, Hard: 100}}
	} else {
		s.Process.Rlimits = nil
	}
	if sh.ambient {
		// The kernel raises only what is permitted and inheritable too.
		s.Process.Capabilities.Ambient = []string{"CAP_CHOWN"}
		s.Process.Capabilities.Inheritable = []string{"CAP_CHOWN"}
	}
	cfg := &Config{Spec: s, Rootfs: "/rootfs", CloseFrom: 3, Exec: sh.exec, AwaitParent: sh.awaitParent}
	if !sh.exec {
		cfg.ExecFifoFd, cfg.UnshareCgroupNS = 4, true
	}
	if !sh.noSeccomp {
		cfg.Seccomp = placeholderProgram
	}
	return cfg
}

// record runs the shape's plan against the recorder: the calls the init
// makes, in order, and the plan they came from.
func (sh shape) record(t *testing.T) ([]string, []step) {
	t.Helper()
	cfg := sh.config()
	set, err := caps.Prepare(cfg.Spec.Process.Capabilities)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	in := newInitRun(r, cfg, set, sh.cgroup2)
	steps := in.initSteps()
	if sh.exec {
		steps = in.execSteps()
	}
	if err := run(steps); !errors.Is(err, errExecRecorded) {
		t.Fatalf("%s: the plan stopped before execve: %v\n%s", sh.name, err, calls{list: r.calls})
	}
	return r.calls, steps
}

// calls is a recorded sequence; a call is named by a prefix of its line.
type calls struct {
	t    *testing.T
	sh   shape
	list []string
}

func (c calls) index(prefix string) int {
	return slices.IndexFunc(c.list, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

func (c calls) lastIndex(prefix string) int {
	for i := len(c.list) - 1; i >= 0; i-- {
		if strings.HasPrefix(c.list[i], prefix) {
			return i
		}
	}
	return -1
}

// before asserts that the first call a comes before the first call b, and
// that both are made.
func (c calls) before(a, b string) {
	c.t.Helper()
	if i, j := c.index(a), c.index(b); i < 0 || j < 0 || i >= j {
		c.t.Errorf("%s: %q (at %d) must come before %q (at %d):\n%s", c.sh.name, a, i, b, j, c)
	}
}

// allBefore asserts that every call a comes before the first call b.
func (c calls) allBefore(a, b string) {
	c.t.Helper()
	if i, j := c.lastIndex(a), c.index(b); i < 0 || j < 0 || i >= j {
		c.t.Errorf("%s: every %q (the last at %d) must come before %q (at %d):\n%s", c.sh.name, a, i, b, j, c)
	}
}

func (c calls) absent(a string) {
	c.t.Helper()
	if i := c.index(a); i >= 0 {
		c.t.Errorf("%s: %q must not be called (at %d):\n%s", c.sh.name, a, i, c)
	}
}

func (c calls) String() string {
	var b strings.Builder
	for i, s := range c.list {
		fmt.Fprintf(&b, "\t%2d %s\n", i, s)
	}
	return b.String()
}

// Each rule of the order comment in initplan.go, on the calls the init
// makes for each shape of config.
func TestInitOrder(t *testing.T) {
	for _, sh := range shapes {
		list, _ := sh.record(t)
		c := calls{t, sh, list}
		if last := list[len(list)-1]; last != "execve" {
			t.Errorf("%s: the last call is %q, not execve", sh.name, last)
		}
		if !sh.exec {
			// Mounts name host paths, so they come before the root moves;
			// pivot_root only in a mount namespace of the container's own.
			root := "pivot_root"
			if sh.noMountNS {
				root = "chroot"
				c.absent("pivot_root")
				c.absent("mount")
			} else {
				c.absent("chroot")
				c.before("mount propagation", "mount bind")
				c.before("mount bind", "mount /proc")
				c.allBefore("mount ", root)
			}
			if sh.userNS {
				c.before("bind device /dev/null", root) // no mknod in a user namespace
				c.allBefore("bind device", "symlinks in /dev")
				c.absent("mknod")
			} else {
				c.allBefore("mknod /dev/", "symlinks in /dev")
				c.absent("bind device")
			}
			c.before("symlinks in /dev", root)
			// The container's own /proc, and /proc/sys still writable.
			c.before(root, "write /proc/sys/net/ipv4/ip_forward")
			if !sh.noMountNS {
				c.before("write /proc/sys", "mount(2) /proc/sys on /proc/sys")
				c.before("mount(2) /proc/sys on /proc/sys", "remount /proc/sys ro")
				c.before("write /proc/sys", "mask /proc/kcore")
			}
			// cgroup2: the namespace first, so its mount is rooted at the
			// container's cgroup; v1: the mounts first, by host path.
			if sh.cgroup2 {
				c.before("unshare CLONE_NEWCGROUP", "mount /proc")
			} else if !sh.noMountNS {
				c.allBefore("mount ", "unshare CLONE_NEWCGROUP")
			}
			if sh.awaitParent {
				// The front's network: waited for where the hooks are,
				// after the mounts (so they overlap with its plugins)
				// and before the root moves or anything runs.
				c.allBefore("mount ", "sendmsg hooks")
				c.before("sendmsg hooks", root)
			} else if !sh.hooks {
				c.absent("sendmsg hooks")
			}
			if sh.hooks {
				// createContainer in the container's namespaces, with
				// host paths still resolving; startContainer after start.
				c.allBefore("mount ", "hook /bin/create-hook")
				c.before("hook /bin/create-hook", root)
				c.before("read 4", "hook /bin/start-hook")
			}
			c.before("sethostname minirun", "setresuid")
			c.before("lo up", "setresuid")
			// create reports a bad cwd or a missing command, before the
			// wait. The cwd is entered as root first, as runc does, so a
			// directory only root reaches is still the process's cwd.
			c.before("lo up", "getcwd")
			c.before("getcwd", "setresuid")
			c.before("setresuid", "stat /bin/sh")
			c.before("stat /bin/sh", "sendmsg created")
			c.before("sendmsg created", "read 4")
		} else {
			c.absent("mount")
			c.absent("pivot_root")
			c.absent("chroot")
			c.absent("sendmsg created")
		}
		if sh.terminal {
			// The pty from the container's devpts, the slave made stdio
			// while the init is still root.
			if !sh.exec {
				c.before("pivot_root", "open pty")
			}
			c.before("open pty", "sendmsg pty with fd")
			c.before("sendmsg pty with fd", "setsid, TIOCSCTTY, dup3")
			c.before("setsid, TIOCSCTTY, dup3", "setresuid")
		}
		// Process attributes and no_new_privs while still privileged; the
		// bounding set needs CAP_SETPCAP; keep-caps carries the permitted
		// set over the uid change; the ids, then capset.
		c.before("personality", "prctl PR_CAPBSET_DROP")
		c.before("prctl PR_CAPBSET_DROP", "prctl PR_CAP_AMBIENT_CLEAR_ALL")
		c.before("prctl PR_CAP_AMBIENT_CLEAR_ALL", "prctl PR_SET_KEEPCAPS")
		c.before("prctl PR_SET_KEEPCAPS", "setgroups")
		c.before("setgroups", "setresgid")
		c.before("setresgid", "setresuid")
		c.before("setresuid", "capset")
		c.before("close_range 3", "execve")
		switch {
		case sh.noSeccomp:
			c.absent("seccomp load")
			c.absent("capset holding")
		case sh.noNewPrivs && sh.hooks && !sh.exec:
			// startContainer hooks run under the filter, as runc's do.
			c.before("prctl PR_SET_NO_NEW_PRIVS", "prctl PR_CAPBSET_DROP")
			c.before("read 4", "seccomp load")
			c.before("seccomp load", "hook /bin/start-hook")
			c.absent("capset holding")
		case sh.noNewPrivs:
			// The filter is the last thing before execve.
			c.before("prctl PR_SET_NO_NEW_PRIVS", "prctl PR_CAPBSET_DROP")
			if i := c.index("seccomp load"); i != len(list)-2 {
				t.Errorf("%s: with no_new_privs seccomp must come right before execve:\n%s", sh.name, c)
			}
			c.absent("capset holding")
		default:
			// Loading needs CAP_SYS_ADMIN: after the capset that holds it
			// and the checks made with the container's permissions, and
			// before the capset that drops it and the wait for start.
			c.absent("prctl PR_SET_NO_NEW_PRIVS")
			c.before("capset holding CAP_SYS_ADMIN", "seccomp load")
			c.before("stat /bin/sh", "seccomp load")
			if i, j := c.index("seccomp load"), c.lastIndex("capset"); j < i || list[j] != "capset" {
				t.Errorf("%s: CAP_SYS_ADMIN must be dropped after seccomp is loaded:\n%s", sh.name, c)
			}
			if !sh.exec {
				c.before("seccomp load", "sendmsg created")
			}
			if sh.hooks {
				c.before("seccomp load", "hook /bin/start-hook")
			}
		}
		if sh.rlimits {
			// The soft limits as late as can be: after the identity and
			// the wait, and before the filter when it comes last.
			c.before("capset", "setrlimit RLIMIT_NPROC")
			if !sh.exec {
				c.before("read 4", "setrlimit RLIMIT_NPROC")
			}
			if sh.noNewPrivs && !sh.noSeccomp {
				c.before("setrlimit RLIMIT_NPROC", "seccomp load")
			}
		}
	}
}

// What the plan declares it calls after the filter (afterFilter, and so
// the list CheckStartable demands of every profile) is what the recorded
// run calls after it, for every shape.
func TestAfterFilterIsWhatRuns(t *testing.T) {
	more := []shape{{name: "ambient", ambient: true}, {name: "rlimits and hooks", rlimits: true, hooks: true}}
	for _, sh := range append(slices.Clone(shapes), more...) {
		list, steps := sh.record(t)
		var got []string
		if i := slices.Index(list, "seccomp load"); i >= 0 {
			for _, call := range list[i+1:] {
				for _, sc := range syscallsOf(call) {
					if !slices.Contains(got, sc) {
						got = append(got, sc)
					}
				}
			}
		}
		if want := afterFilter(steps); !slices.Equal(got, want) {
			t.Errorf("%s: after the filter the init calls %v, the plan declares %v:\n%s", sh.name, got, want, calls{list: list})
		}
	}
}

// A failed call ends the plan there, and the error the parent reports
// names the step and the call, with minirun's own exit code: nothing
// after it runs, least of all execve.
func TestFailedCallStopsThePlan(t *testing.T) {
	for _, tc := range []struct {
		sh     shape
		failOn string
		want   string // the error's text
	}{
		{shapes[0], "mount /proc", "mount /proc: injected failure"},
		{shapes[0], "pivot_root", "pivot_root: injected failure"},
		{shape{name: "no mount namespace", noMountNS: true}, "chroot", "chroot: chroot /rootfs: injected failure"},
		{shapes[0], "write /proc/sys", "sysctl: net.ipv4.ip_forward=1: injected failure"},
		{shapes[0], "sethostname", `hostname: sethostname "minirun": injected failure`},
		{shapes[0], "setresuid", "user: setresuid 0: injected failure"},
		{shapes[0], "capset holding", "capabilities: injected failure"},
		{shapes[0], "chdir", "cwd: chdir /: injected failure"},
		{shapes[0], "seccomp load", "seccomp: injected failure"},
		{shape{name: "no_new_privs", noNewPrivs: true}, "prctl PR_SET_NO_NEW_PRIVS", "no_new_privs: injected failure"},
		{shape{name: "terminal", terminal: true}, "sendmsg pty", "console: send pty master: injected failure"},
		{shapes[0], "read 4", "start: read exec fifo: injected failure"},
		{shapes[0], "execve", `exec: execve "sh": injected failure`},
	} {
		cfg := tc.sh.config()
		r := &recorder{failOn: tc.failOn}
		in := newInitRun(r, cfg, nil, false)
		err := run(in.initSteps())
		code := errdefs.ExitRuntime
		if tc.failOn == "execve" {
			code = errdefs.ExitNoExec // the command's own failure
		}
		var se *errdefs.StepError
		if !errors.As(err, &se) || err.Error() != tc.want || errdefs.ExitCode(err) != code {
			t.Errorf("%s, %s fails: %v (exit %d), want %q (exit %d)", tc.sh.name, tc.failOn, err, errdefs.ExitCode(err), tc.want, code)
		}
		// Only the step's own clean-up (closing its fds) may follow.
		i := slices.IndexFunc(r.calls, func(c string) bool { return strings.HasPrefix(c, tc.failOn) })
		for _, c := range r.calls[i+1:] {
			if !strings.HasPrefix(c, "close ") {
				t.Errorf("%s, %s fails: the plan went on to %q", tc.sh.name, tc.failOn, c)
			}
		}
	}
}

// A mount namespace joined by path is pivoted into like a new one (a chroot
// there could be broken out of), unless the root is "/", which takes the
// joined namespace as it is; an exec into a container without a mount
// namespace of its own chroots into the init's root before anything else;
// and the parent-death signal, cleared by the uid change, is set again.
func TestJoinedMountNamespaceAndExecRoot(t *testing.T) {
	recordCfg := func(cfg *Config, exec bool) calls {
		r := &recorder{}
		in := newInitRun(r, cfg, nil, false)
		steps := in.initSteps()
		if exec {
			steps = in.execSteps()
		}
		if err := run(steps); !errors.Is(err, errExecRecorded) {
			t.Fatalf("the plan stopped before execve: %v\n%s", err, calls{list: r.calls})
		}
		return calls{t: t, list: r.calls}
	}
	joined := func(root string) *Config {
		cfg := shape{name: "joined mount namespace"}.config()
		for i, ns := range cfg.Spec.Linux.Namespaces {
			if ns.Type == specs.MountNamespace {
				cfg.Spec.Linux.Namespaces[i].Path = "/proc/1234/ns/mnt"
			}
		}
		cfg.Rootfs = root
		return cfg
	}
	c := recordCfg(joined("/rootfs"), false)
	c.sh.name = "joined mount namespace"
	c.before("mount bind /rootfs", "pivot_root")
	c.absent("chroot")
	c = recordCfg(joined("/"), false)
	c.sh.name = "joined mount namespace, root /"
	c.absent("pivot_root")
	c.absent("mount bind")

	cfg := shape{name: "exec", exec: true}.config()
	cfg.RootFd = 7
	c = recordCfg(cfg, true)
	c.sh.name = "exec without a mount namespace"
	if len(c.list) < 4 || !slices.Equal(c.list[:4], []string{"fchdir 7", "chroot .", "chdir /", "close 7"}) {
		t.Errorf("exec with a root fd: the first calls are not the chroot to it:\n%s", c)
	}
	c.before("prctl PR_GET_PDEATHSIG", "setresuid")
	c.before("setresuid", "prctl PR_SET_PDEATHSIG")
}

// In a user namespace the parent opens the bind sources (BindSources): the
// init asks for each bind, by its index, and mounts from the handle; other
// mounts and idmapped binds go as before. When the parent has no handle
// ("none"), the init mounts by path itself.
func TestBindSourcesFromParent(t *testing.T) {
	cfg := shape{name: "user namespace", userNS: true}.config()
	cfg.BindSources = true
	cfg.Spec.Mounts = append(cfg.Spec.Mounts,
		specs.Mount{Destination: "/data", Source: "/srv/data", Options: []string{"rbind"}},
		specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/shifted", Source: "/srv/shifted", Type: "bind", Options: []string{"idmap"}},
	)
	record := func(answer string) calls {
		r := &recorder{answer: answer}
		if err := run(newInitRun(r, cfg, nil, false).initSteps()); !errors.Is(err, errExecRecorded) {
			t.Fatalf("the plan stopped before execve: %v\n%s", err, calls{list: r.calls})
		}
		return calls{t: t, sh: shape{name: "bind sources, answer " + answer}, list: r.calls}
	}
	c := record("")
	c.before("sendmsg bindsrc", "mount /data from the parent's handle")
	c.before("mount /data from the parent's handle", "mount /scratch")
	c.before("mount /scratch", "sendmsg idmap")
	c.absent("mount /data\n")
	if i := c.index("mount /data from"); i < 2 || c.list[i-1] != "recvmsg" || c.list[i-2] != "sendmsg bindsrc" {
		t.Errorf("the bind is not mounted right after the parent's answer:\n%s", c)
	}
	if n := strings.Count(c.String(), "sendmsg bindsrc"); n != 1 {
		t.Errorf("%d requests for one plain bind, want 1:\n%s", n, c)
	}

	c = record("none")
	c.absent("mount /data from")
	c.before("sendmsg bindsrc", "mount /data")

	cfg.BindSources = false
	c = record("")
	c.absent("sendmsg bindsrc")
	c.absent("mount /data from")
}
