package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUnpack feeds tar bytes to the unpacker. Whatever the tar says,
// nothing may appear outside the layer root, nothing outside it may change
// (a host tree beside the root keeps its content and metadata), and errors
// are one line.
func FuzzUnpack(f *testing.F) {
	seeds := [][]tarEntry{
		{{name: "etc/", typ: tar.TypeDir}, {name: "etc/passwd", body: "root:x:0:0::/root:/bin/sh\n"}},
		{{name: "bin/busybox", body: "\x7fELF", mode: 0o4755}, {name: "bin/sh", typ: tar.TypeSymlink, link: "busybox"}, {name: "bin/ls", typ: tar.TypeLink, link: "bin/busybox"}},
		{{name: "up", typ: tar.TypeSymlink, link: "../../.."}, {name: "up/escaped", body: "x"}},
		{{name: "abs", typ: tar.TypeSymlink, link: "/"}, {name: "abs/tmp/escaped", body: "x"}, {name: "h", typ: tar.TypeLink, link: "abs/etc/hostname"}},
		{{name: "d/", typ: tar.TypeDir}, {name: "d/.wh..wh..opq", body: ""}, {name: ".wh.gone", body: ""}, {name: "p", typ: tar.TypeFifo}},
		{{name: "/../../x", body: "x"}},
		// Deferred directory times through a parent replaced by a symlink
		// to the host tree beside the root.
		{{name: "x/", typ: tar.TypeDir}, {name: "x/target/", typ: tar.TypeDir}, {name: "x", typ: tar.TypeSymlink, link: "../host"}},
		{{name: "x/", typ: tar.TypeDir}, {name: "x/target/", typ: tar.TypeDir, mode: 0o700}, {name: "x/target/file", body: "y"}, {name: "x", typ: tar.TypeSymlink, link: "../host"}, {name: "x/target/", typ: tar.TypeDir}},
	}
	for _, s := range seeds {
		f.Add(makeTar(f, s...).Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent, root := sandbox(t)
		before, snap := hostTree(t, parent)
		_, err := unpack(bytes.NewReader(data), root)
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("error of more than one line: %q", err)
		}
		ents, rerr := os.ReadDir(parent)
		if rerr != nil {
			t.Fatal(rerr)
		}
		for _, e := range ents {
			if e.Name() != "layer" && e.Name() != "host" {
				t.Fatalf("the layer wrote %s outside its root", filepath.Join(parent, e.Name()))
			}
		}
		checkHostTree(t, before, snap())
	})
}
