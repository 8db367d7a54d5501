package container

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/nsenter"
)

// The pre-main hands over the forked pid in a message the Go side reads.
func TestNsenterPidMessageDecodes(t *testing.T) {
	var m initproc.Message
	if err := json.Unmarshal(nsenter.PidMessage(4242), &m); err != nil {
		t.Fatalf("the C message does not decode: %v", err)
	}
	if m.Type != "pid" || m.Code != 4242 {
		t.Fatalf("decoded %+v", m)
	}
}

// The pid namespace goes to the child, last, only with a user namespace.
func TestPidInChild(t *testing.T) {
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	js := &joinSet{files: []*os.File{f, f}, names: []string{"user", "mnt"}, pid: f}
	js.pidInChild()
	if js.pid != nil || !js.forksIntoPid() || js.names[len(js.names)-1] != "pid" || len(js.files) != 3 {
		t.Fatalf("with a user namespace: %+v", js)
	}
	js = &joinSet{files: []*os.File{f}, names: []string{"mnt"}, pid: f}
	js.pidInChild()
	if js.pid == nil || js.forksIntoPid() {
		t.Fatalf("without a user namespace: %+v", js)
	}
}
