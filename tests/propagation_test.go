package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// rootfsPropagation "rshared" is what containerd sets when a pod has a
// Bidirectional volume (CSI node plugins). pivot_root refuses a shared new
// root, so the runtime must make the rootfs private and still let a
// mount made in the container under the volume reach the host. The whole
// scene runs in a private mount namespace, whose shared volume stands in
// for the host's.
func TestRootfsPropagationSharedVolume(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	vol := filepath.Join(t.TempDir(), "vol")
	if err := os.MkdirAll(filepath.Join(vol, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := defaultSpec(t, "sh", "-c", "mount -t tmpfs from-ctr /vol/sub && echo hi > /vol/sub/f")
	s.Linux.RootfsPropagation = "rshared"
	s.Linux.Seccomp = nil
	caps := append(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN")
	s.Process.Capabilities.Bounding, s.Process.Capabilities.Effective, s.Process.Capabilities.Permitted = caps, caps, caps
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/vol", Type: "bind", Source: vol, Options: []string{"rbind", "rshared"}})
	bundle := writeBundle(t, s)
	script := `mount --bind "$3" "$3" && mount --make-shared "$3" && "$0" run -b "$1" "$2" && cat "$3/sub/f"; rc=$?; umount "$3/sub"; umount "$3"; exit $rc`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, minirun, bundle, containerID(t), vol)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("run with rootfsPropagation rshared: %v: %s", err, errb.String())
	}
	if out.String() != "hi\n" {
		t.Fatalf("the container's mount under the shared volume, as the host sees it: %q, want \"hi\\n\"", out.String())
	}
}

// A rootfs on an unbindable mount still starts now that the init binds
// the rootfs without reading mountinfo first (the default rslave leaves
// nothing shared; the kernel's rslave also ends the unbindable state,
// and were it kept, the bind's EINVAL sends the init back to the check).
// The scene runs in a private mount namespace.
func TestRootfsOnUnbindableMount(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	s := defaultSpec(t, "echo", "ok")
	root := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	orig := s.Root.Path
	s.Root.Path = root
	bundle := writeBundle(t, s)
	script := `mount --bind "$3" "$4" && mount --make-unbindable "$4" && "$0" run -b "$1" "$2"; rc=$?; umount "$4"; exit $rc`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, minirun, bundle, containerID(t), orig, root)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("run on an unbindable rootfs mount: %v: %s", err, errb.String())
	}
	if out.String() != "ok\n" {
		t.Fatalf("the container printed %q; stderr: %s", out.String(), errb.String())
	}
}
