package image

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeEtc(t *testing.T, root, passwd, group string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/group"), []byte(group), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLookupUser(t *testing.T) {
	root := t.TempDir()
	writeEtc(t, root,
		"root:x:0:0:root:/root:/bin/sh\n# comment\nnobody:x:65534:65534::/:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n",
		"root:x:0:\nwheel:x:10:alice,root\naudio:x:29:alice\nalice:x:1000:\nnogroup:x:65534:\n")
	cases := []struct {
		spec     string
		uid, gid uint32
		extra    []uint32
	}{
		{"", 0, 0, []uint32{10}},
		{"root", 0, 0, []uint32{10}},
		{"alice", 1000, 1000, []uint32{10, 29}},
		{"1000", 1000, 1000, []uint32{10, 29}},
		{"alice:audio", 1000, 29, nil},
		{"alice:5", 1000, 5, nil},
		{"4242", 4242, 0, nil},
		{"4242:4242", 4242, 4242, nil},
		{"nobody", 65534, 65534, nil},
	}
	for _, c := range cases {
		uid, gid, extra, err := LookupUser(root, c.spec)
		if err != nil {
			t.Errorf("LookupUser(%q): %v", c.spec, err)
			continue
		}
		if uid != c.uid || gid != c.gid || !reflect.DeepEqual(extra, c.extra) {
			t.Errorf("LookupUser(%q) = %d %d %v, want %d %d %v", c.spec, uid, gid, extra, c.uid, c.gid, c.extra)
		}
	}
	for _, bad := range []string{"bob", "alice:staff", "alice:", "-1", "4294967295"} {
		if _, _, _, err := LookupUser(root, bad); err == nil {
			t.Errorf("LookupUser(%q): no error", bad)
		}
	}
}

func TestLookupUserNoEtcAndSymlinkedEtc(t *testing.T) {
	root := t.TempDir()
	if uid, gid, _, err := LookupUser(root, "123:456"); err != nil || uid != 123 || gid != 456 {
		t.Errorf("numeric without /etc: %d %d %v", uid, gid, err)
	}
	if _, _, _, err := LookupUser(root, "root"); err == nil {
		t.Error("a name without /etc/passwd: no error")
	}
	// /etc -> the host's /etc must be read inside root, where it is absent.
	if err := os.Symlink("/etc", filepath.Join(root, "etc")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := LookupUser(root, "root"); err == nil {
		t.Error("user found through a symlink to the host's /etc")
	}
}
