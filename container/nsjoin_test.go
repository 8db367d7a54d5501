package container

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/namespaces"
)

// Only joins among net, ipc and uts, in a plan that makes no user
// namespace, go to the forking thread; only those starts (with a new pid
// namespace and no newuidmap) may run minirun-init; the others need the
// pre-main of minirun-init-nsenter.
func TestJoinsByThread(t *testing.T) {
	ns := func(tp specs.LinuxNamespaceType, path string) specs.LinuxNamespace {
		return specs.LinuxNamespace{Type: tp, Path: path}
	}
	pod := []specs.LinuxNamespace{ns("pid", ""), ns("mount", ""), ns("cgroup", ""),
		ns("network", "/run/netns/x"), ns("ipc", "/proc/1/ns/ipc"), ns("uts", "/proc/1/ns/uts")}
	for _, tc := range []struct {
		name       string
		nss        []specs.LinuxNamespace
		helperMaps bool
		byThread   bool
		preMain    bool
	}{
		{"nothing joined", []specs.LinuxNamespace{ns("pid", ""), ns("mount", "")}, false, false, false},
		{"a CRI pod's container", pod, false, true, false},
		{"net only", []specs.LinuxNamespace{ns("pid", ""), ns("network", "/run/netns/x")}, false, true, false},
		{"and newuidmap", pod, true, true, true},
		{"no pid namespace", []specs.LinuxNamespace{ns("network", "/run/netns/x")}, false, true, true},
		{"and a new user namespace", append(slices.Clone(pod), ns("user", "")), false, false, true},
		{"and a joined user namespace", append(slices.Clone(pod), ns("user", "/proc/1/ns/user")), false, false, true},
		{"and a joined mount namespace", []specs.LinuxNamespace{ns("pid", ""), ns("network", "/n"), ns("mount", "/m")}, false, false, true},
		{"a joined pid namespace", []specs.LinuxNamespace{ns("pid", "/p"), ns("network", "/n")}, false, false, true},
		{"a joined cgroup namespace", []specs.LinuxNamespace{ns("pid", ""), ns("cgroup", "/c")}, false, false, true},
		{"a joined time namespace", []specs.LinuxNamespace{ns("pid", ""), ns("time", "/t")}, false, false, true},
	} {
		plan, err := namespaces.FromSpec(tc.nss)
		if err != nil {
			t.Fatal(err)
		}
		if got := joinsByThread(plan); got != tc.byThread {
			t.Errorf("%s: joinsByThread = %v, want %v", tc.name, got, tc.byThread)
		}
		if got := needsPreMain(plan, tc.helperMaps); got != tc.preMain {
			t.Errorf("%s: needsPreMain = %v, want %v", tc.name, got, tc.preMain)
		}
	}
}

// Joins the thread enters are not passed to the child, nor named in its
// environment: minirun-init has no pre-main to read them.
func TestEnterByThreadPassesNothing(t *testing.T) {
	joins := &joinSet{files: []*os.File{openNull(t), openNull(t), openNull(t)}, names: []string{"ipc", "uts", "net"}}
	joins.enterByThread()
	if len(joins.files) != 0 || len(joins.names) != 0 || joins.threadNames() != "ipc, uts, net" {
		t.Fatalf("after enterByThread: %+v", joins)
	}
	want := []int{unix.CLONE_NEWIPC, unix.CLONE_NEWUTS, unix.CLONE_NEWNET}
	for i, ns := range joins.byThread {
		if ns.flag != want[i] {
			t.Errorf("%s: flag %#x, want %#x", ns.name, ns.flag, want[i])
		}
	}
	l := newLaunch(nil, openNull(t), nil, joins, nil)
	if len(l.files) != 1 || len(l.env) != 1 || strings.Contains(strings.Join(l.env, " "), initproc.NsenterEnv) {
		t.Fatalf("launch: files %d, env %q", len(l.files), l.env)
	}
}

// setnsCall is one call of the test double of setns.
type setnsCall struct {
	fd     int
	nstype int
}

// fakeSetns records calls and fails the one numbered failAt (from 0).
type fakeSetns struct {
	calls  []setnsCall
	failAt int
}

func (f *fakeSetns) setns(fd, nstype int) error {
	f.calls = append(f.calls, setnsCall{fd, nstype})
	if len(f.calls)-1 == f.failAt {
		return unix.EPERM
	}
	return nil
}

func openNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func threadJoins(t *testing.T, names ...string) []threadNS {
	joins := &joinSet{names: names}
	for range names {
		joins.files = append(joins.files, openNull(t))
	}
	joins.enterByThread()
	return joins.byThread
}

// The thread enters each namespace in order, forks, and goes back in the
// reverse order to its own, which are not the joined fds.
func TestStartFromThreadGoesBack(t *testing.T) {
	enter := threadJoins(t, "ipc", "uts", "net")
	fake := &fakeSetns{failAt: -1}
	cmd := exec.Command("true")
	clean, err := startFromThread(cmd, enter, fake.setns)
	if err != nil || !clean {
		t.Fatalf("clean %v, err %v", clean, err)
	}
	defer cmd.Wait()
	if len(fake.calls) != 6 {
		t.Fatalf("calls %+v", fake.calls)
	}
	for i, ns := range enter {
		if c := fake.calls[i]; c.fd != int(ns.f.Fd()) || c.nstype != ns.flag {
			t.Errorf("call %d: %+v, want enter %s", i, c, ns.name)
		}
		back := fake.calls[5-i]
		if back.nstype != ns.flag || back.fd == int(ns.f.Fd()) {
			t.Errorf("call %d: %+v, want back to own %s", 5-i, back, ns.name)
		}
	}
}

// A namespace that can't be entered: nothing is started, the ones
// entered are left again, and the error names the namespace.
func TestStartFromThreadEnterFails(t *testing.T) {
	enter := threadJoins(t, "ipc", "uts", "net")
	fake := &fakeSetns{failAt: 1}
	cmd := exec.Command("true")
	clean, err := startFromThread(cmd, enter, fake.setns)
	if !clean || !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "setns uts namespace") {
		t.Fatalf("clean %v, err %v", clean, err)
	}
	if cmd.Process != nil {
		t.Fatal("started after a failed setns")
	}
	if len(fake.calls) != 3 || fake.calls[2].nstype != unix.CLONE_NEWIPC {
		t.Fatalf("calls %+v: want enter ipc, fail uts, back to ipc", fake.calls)
	}
}

// A thread that can't go back is not clean, and the child it forked is
// killed and reaped: its Pdeathsig is the thread's.
func TestStartFromThreadBackFails(t *testing.T) {
	enter := threadJoins(t, "ipc", "net")
	fake := &fakeSetns{failAt: 2} // going back to net
	cmd := exec.Command("sleep", "60")
	clean, err := startFromThread(cmd, enter, fake.setns)
	if clean || !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "setns back into own net namespace") {
		t.Fatalf("clean %v, err %v", clean, err)
	}
	if cmd.Process == nil {
		t.Fatal("nothing started")
	}
	if err := unix.Kill(cmd.Process.Pid, 0); !errors.Is(err, unix.ESRCH) {
		t.Fatalf("child %d not killed and reaped: kill 0: %v", cmd.Process.Pid, err)
	}
	if len(fake.calls) != 3 {
		t.Fatalf("calls %+v: want no setns after the failed one", fake.calls)
	}
}
