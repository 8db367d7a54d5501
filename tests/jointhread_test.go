package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// nsHolder starts a process in new net, ipc and uts namespaces, as a CRI
// pod's pause process holds them, and returns its pid; it is killed when
// the test ends.
func nsHolder(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("unshare", "--net", "--ipc", "--uts", "--", "sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// unshare execs sleep once its namespaces exist.
	for i := 0; i < 500; i++ {
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid)); string(comm) == "sleep\n" {
			return cmd.Process.Pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("unshare never ran sleep")
	return 0
}

// joinPod makes s join holder's net, ipc and uts namespaces by path, and
// create the others.
func joinPod(s *specs.Spec, holder int) {
	for i, ns := range s.Linux.Namespaces {
		switch ns.Type {
		case specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace:
			s.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/%s", holder, procNS(ns.Type))
		}
	}
}

func procNS(t specs.LinuxNamespaceType) string {
	if t == specs.NetworkNamespace {
		return "net"
	}
	return string(t)
}

// checkNamespaces fails the test unless pid is in want's net, ipc and uts
// namespaces.
func checkNamespaces(t *testing.T, what string, pid, want int) {
	t.Helper()
	for _, ns := range []string{"net", "ipc", "uts"} {
		got, err1 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		w, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", want, ns))
		if err1 != nil || err2 != nil || got != w {
			t.Errorf("%s (pid %d): %s namespace %s, want %s (%v %v)", what, pid, ns, got, w, err1, err2)
		}
	}
}

// A container that joins only net, ipc and uts namespaces (every CRI
// container joins its pod's) has minirun-init as its init: its thread
// enters them for the fork, and goes back. No thread of minirun is
// then in the joined namespaces, while the container runs in them.
func TestJoinNetIPCUTSByThread(t *testing.T) {
	needRoot(t)
	holder := nsHolder(t)
	initBin := filepath.Join(filepath.Dir(minirun), "minirun-init")
	want, err := os.Stat(initBin)
	if err != nil {
		t.Fatalf("no minirun-init beside %s: %v", minirun, err)
	}
	t.Run("created", func(t *testing.T) {
		s := defaultSpec(t, "true")
		joinPod(s, holder)
		id, _ := createContainer(t, s)
		st := wantStatus(t, id, specs.StateCreated)
		checkNamespaces(t, "the created init", st.Pid, holder)
		// Stopped at the exec fifo, before its execve: the init binary.
		exe, err := os.Stat(fmt.Sprintf("/proc/%d/exe", st.Pid))
		if err != nil || exe.Size() != want.Size() {
			self, _ := os.Stat(minirun)
			t.Fatalf("the init runs a binary of %d bytes (%v): minirun-init is %d, minirun %d", exe.Size(), err, want.Size(), self.Size())
		}
	})
	t.Run("running", func(t *testing.T) {
		s := defaultSpec(t, "sleep", "100")
		joinPod(s, holder)
		cmd, pid := startSpec(t, s)
		checkNamespaces(t, "the container", pid, holder)
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", cmd.Process.Pid))
		if err != nil || len(tasks) == 0 {
			t.Fatalf("minirun's threads: %v", err)
		}
		// None is left in the joined namespaces: each is in this test
		// process's own, which its main thread shows. (That one is right
		// only if no in-process use of minirun earlier in the suite left
		// the main thread in a namespace of a container's: TestAPIRunImage
		// makes bridge namespaces in-process, network.NewNetns.)
		for _, task := range tasks {
			for _, ns := range []string{"net", "ipc", "uts"} {
				got, err1 := os.Readlink(fmt.Sprintf("/proc/%d/task/%s/ns/%s", cmd.Process.Pid, task.Name(), ns))
				joined, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", holder, ns))
				own, err3 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", os.Getpid(), ns))
				if err1 != nil || err2 != nil || err3 != nil || got == joined || got != own {
					t.Errorf("minirun's thread %s: %s namespace %s, the joined one's %s, this process's %s (%v %v %v)", task.Name(), ns, got, joined, own, err1, err2, err3)
				}
			}
		}
	})
	// Made from inside a new user namespace, the join is the child's, as
	// it always was, and the host's user namespace owns the holder's.
	t.Run("new user namespace", func(t *testing.T) {
		s := defaultSpec(t, "true")
		joinPod(s, holder)
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		s.Linux.GIDMappings = s.Linux.UIDMappings
		checkFailure(t, runSpec(t, s, ""), exitRunc, "join namespace", "setns", "Operation not permitted")
	})
}
