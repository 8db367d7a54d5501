package container

import (
	"encoding/json"
	"os"
	"syscall"
	"testing"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/nsenter"
)

// The C pre-main writes its error by hand; the Go side must read it as any
// other message from the init.
func TestNsenterReportDecodes(t *testing.T) {
	var m initproc.Message
	if err := json.Unmarshal(nsenter.ReportMessage("mnt", syscall.EPERM), &m); err != nil {
		t.Fatalf("the C message does not decode: %v", err)
	}
	if m.Type != "error" || m.Step != "join namespace" || m.Err != "setns mnt: Operation not permitted" || m.Code != ExitRuntime {
		t.Fatalf("decoded %+v", m)
	}
}

// The layout: preserved files from 3, then the socket, the fifo and the
// namespaces; the environment and the config agree on each number.
func TestLaunchLayout(t *testing.T) {
	f := func(name string) *os.File {
		// A real fd: an os.File's finalizer closes its number.
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		file := os.NewFile(uintptr(fd), name)
		t.Cleanup(func() { file.Close() })
		return file
	}
	preserved := []*os.File{f("p0"), f("p1")}
	joins := &joinSet{files: []*os.File{f("net"), f("mnt")}, names: []string{"net", "mnt"}}
	l := newLaunch(preserved, f("sock"), f("fifo"), joins, f("maps"))
	names := []string{}
	for _, x := range l.files {
		names = append(names, x.Name())
	}
	want := []string{"p0", "p1", "sock", "fifo", "net", "mnt", "maps"}
	if len(names) != len(want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("files %v, want %v", names, want)
		}
	}
	if l.closeFrom != 5 || l.fifoFd != 6 {
		t.Fatalf("closeFrom %d, fifo %d; want 5 and 6", l.closeFrom, l.fifoFd)
	}
	if len(l.env) != 3 || l.env[0] != initproc.FdEnv+"=5" || l.env[1] != initproc.NsenterEnv+"=7:net,8:mnt" || l.env[2] != initproc.UsernsEnv+"=9" {
		t.Fatalf("env %q", l.env)
	}
	// exec: no preserved files and no fifo.
	l = newLaunch(nil, f("sock"), nil, &joinSet{}, nil)
	if l.closeFrom != 3 || l.fifoFd != 0 || len(l.env) != 1 || l.env[0] != initproc.FdEnv+"=3" {
		t.Fatalf("exec layout: %+v", l)
	}
}
