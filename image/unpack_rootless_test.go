package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A rootless store's opaque directories carry user.overlay.opaque, the
// attribute its overlay (mounted with userxattr) reads; root's keep
// trusted.overlay.opaque. A layer's own user.overlay.* attributes are
// dropped as trusted.overlay.* ones are: with userxattr they would steer
// the overlay (a redirect, say).
func TestOpaqueXattrByStore(t *testing.T) {
	for _, rootless := range []bool{false, true} {
		root := t.TempDir()
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755})
		tw.WriteHeader(&tar.Header{Name: "d/.wh..wh..opq", Typeflag: tar.TypeReg, Mode: 0o644})
		tw.WriteHeader(&tar.Header{Name: "f", Typeflag: tar.TypeReg, Mode: 0o644, PAXRecords: map[string]string{
			"SCHILY.xattr.user.overlay.redirect": "/etc", "SCHILY.xattr.user.note": "kept"}})
		tw.Close()
		u := &unpacker{root: root, rootless: rootless}
		if _, err := u.run(&buf); err != nil {
			if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) {
				t.Skipf("xattrs here: %v", err)
			}
			t.Fatal(err)
		}
		want, other := overlayOpaque, overlayOpaqueRootless
		if rootless {
			want, other = other, want
		}
		b := make([]byte, 8)
		if n, err := unix.Lgetxattr(filepath.Join(root, "d"), want, b); err != nil || string(b[:n]) != "y" {
			t.Errorf("rootless=%v: %s: %q %v", rootless, want, b[:max(n, 0)], err)
		}
		if _, err := unix.Lgetxattr(filepath.Join(root, "d"), other, b); err == nil {
			t.Errorf("rootless=%v: %s set as well", rootless, other)
		}
		if _, err := unix.Lgetxattr(filepath.Join(root, "f"), "user.overlay.redirect", b); err == nil {
			t.Errorf("rootless=%v: the layer's user.overlay.redirect was kept", rootless)
		}
		if n, err := unix.Lgetxattr(filepath.Join(root, "f"), "user.note", b); err != nil || string(b[:n]) != "kept" {
			t.Errorf("rootless=%v: user.note: %q %v", rootless, b[:max(n, 0)], err)
		}
	}
}
