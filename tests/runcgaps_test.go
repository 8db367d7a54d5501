package tests

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Runtime behaviours runc 1.1.5 shows in its own integration suite
// (tests/integration/*.bats), which CI can't fetch: each test here is the
// suite's case in this project's terms.

// withUserns gives s a user namespace mapping 0..65533 to host 100000, as
// runc's userns.bats does.
func withUserns(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65534}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65534}}
}

// userns.bats "userns with 2 inaccessible mounts" and "... + exec": bind
// sources below a directory only the host's root may enter (mode 0700) are
// out of reach of the init in a user namespace, whose root is host uid
// 100000; the caller reaches them, so they mount, as with runc, which
// opens them before the init uses them. A file source, an rbind and a
// read-only bind take the same path; the container's root can't make the
// read-only one writable.
func TestUsernsInaccessibleBindSources(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "stat -c %n /tmp/mount-1/foo.txt /tmp/mount-2/foo.txt /tmp/file; "+
		"cat /tmp/file; touch /tmp/mount-3/x 2>/dev/null && echo writable; "+
		"mount -o remount,bind,rw /tmp/mount-3 2>/dev/null && echo remounted-rw; echo done")
	withUserns(s)
	bundle := writeBundle(t, s)
	for _, d := range []string{"source-inaccessible-1", "source-inaccessible-2"} {
		if err := os.MkdirAll(filepath.Join(bundle, d, "dir"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bundle, d, "dir", "foo.txt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(bundle, d), 0o700)
	}
	if err := os.WriteFile(filepath.Join(bundle, "source-inaccessible-1", "file"), []byte("file-ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(bundle, 0o700)
	s.Mounts = append(s.Mounts,
		specs.Mount{Source: "source-inaccessible-1/dir", Destination: "/tmp/mount-1", Options: []string{"bind"}},
		specs.Mount{Source: filepath.Join(bundle, "source-inaccessible-2/dir"), Destination: "/tmp/mount-2", Options: []string{"rbind"}},
		specs.Mount{Source: "source-inaccessible-1/file", Destination: "/tmp/file", Type: "bind", Options: []string{"bind"}},
		specs.Mount{Source: "source-inaccessible-2/dir", Destination: "/tmp/mount-3", Options: []string{"bind", "ro"}},
	)
	writeConfig(t, bundle, s)

	r := runIn(t, bundle, "")
	want := "/tmp/mount-1/foo.txt\n/tmp/mount-2/foo.txt\n/tmp/file\nfile-ok\ndone\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("run: exit %d\nstdout %q\nwant   %q\nstderr %s", r.code, r.stdout, want, r.stderr)
	}

	s.Process.Args = []string{"sleep", "100"}
	writeConfig(t, bundle, s)
	id := containerID(t) + "-d"
	mrDetached(t, "run", "-d", "-b", bundle, id)
	t.Cleanup(func() { cleanUp(t, id) })
	if r := runMinirun(t, "", "exec", id, "stat", "-c", "%n", "/tmp/mount-1/foo.txt", "/tmp/mount-2/foo.txt"); r.code != 0 {
		t.Fatalf("exec stat: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// writeConfig rewrites bundle's config.json with s.
func writeConfig(t *testing.T, bundle string, s *specs.Spec) {
	t.Helper()
	data, err := jsonMarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
