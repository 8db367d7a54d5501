package rootfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	o := ParseOptions([]string{"nosuid", "strictatime", "mode=755", "size=65536k", "ro", "rw", "rslave"})
	if o.Flags != unix.MS_NOSUID|unix.MS_STRICTATIME {
		t.Errorf("flags %s", FlagString(o.Flags))
	}
	if o.Clear&unix.MS_RDONLY == 0 {
		t.Error("rw should record that ro was cleared")
	}
	if o.Data != "mode=755,size=65536k" {
		t.Errorf("data %q", o.Data)
	}
	if len(o.Propagation) != 1 || o.Propagation[0] != unix.MS_SLAVE|unix.MS_REC {
		t.Errorf("propagation %v", o.Propagation)
	}
	b := ParseOptions([]string{"rbind", "ro", "nodev", "noexec"})
	if !b.Bind || !b.Recursive || b.Flags != unix.MS_RDONLY|unix.MS_NODEV|unix.MS_NOEXEC {
		t.Errorf("rbind: %+v", b)
	}
}

func TestPropagationFlag(t *testing.T) {
	if f, _ := PropagationFlag(""); f != unix.MS_SLAVE|unix.MS_REC {
		t.Errorf("default %#x", f)
	}
	if f, _ := PropagationFlag("private"); f != unix.MS_PRIVATE {
		t.Errorf("private %#x", f)
	}
	if _, err := PropagationFlag("sideways"); err == nil {
		t.Error("bad propagation accepted")
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`: "/a b", `/tab\011x`: "/tab\tx", `/back\134slash`: `/back\slash`,
		`/plain`: "/plain", `/end\04`: `/end\04`, `/bad\09x`: `/bad\09x`,
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every option `features` lists is one ParseOptions knows: none of them
// reaches a filesystem as data.
func TestMountOptionsAreKnown(t *testing.T) {
	opts := MountOptions()
	if len(opts) < 30 {
		t.Fatalf("only %d options", len(opts))
	}
	for _, o := range opts {
		if p := ParseOptions([]string{o}); p.Data != "" {
			t.Errorf("%q is listed but passed to the filesystem as data", o)
		}
	}
	if p := ParseOptions([]string{"size=1m"}); p.Data != "size=1m" {
		t.Errorf("a filesystem option was taken: %+v", p)
	}
}

func TestRecursiveOptions(t *testing.T) {
	o := ParseOptions([]string{"rbind", "rro", "rnosuid", "rsuid", "rnoatime", "rrelatime"})
	if o.RecSet != unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_RELATIME || o.RecClear != unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR__ATIME || o.Data != "" {
		t.Fatalf("recursive options: set %#x clear %#x data %q", o.RecSet, o.RecClear, o.Data)
	}
}
