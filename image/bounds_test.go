package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/minirun/minirun/internal/inputbounds"
)

// hugeFileTar declares a file of size bytes but holds none of them: the
// bound must refuse it on the header.
func hugeFileTar(t *testing.T, size int64) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "small", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("x"))
	if err := tw.WriteHeader(&tar.Header{Name: "huge", Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	tw.Flush() // no Close: the content is missing on purpose
	return &buf
}

func TestUnpackBounds(t *testing.T) {
	long := strings.Repeat("a/", maxPathLen/2) + "b"
	for _, tc := range []struct {
		name string
		tar  func(t *testing.T) *bytes.Buffer
		want string
	}{
		{"bytes", func(t *testing.T) *bytes.Buffer { return hugeFileTar(t, maxLayerBytes) },
			`entry "huge": 34359738368 bytes would take the layer past the limit of 32 GiB`},
		{"path", func(t *testing.T) *bytes.Buffer { return makeTar(t, tarEntry{name: long, body: "x"}) },
			"path of 4097 bytes, over the limit of 4096"},
		{"component", func(t *testing.T) *bytes.Buffer {
			return makeTar(t, tarEntry{name: "d/" + strings.Repeat("n", 256), body: "x"})
		}, "name of 256 bytes, over the limit of 255"},
		{"symlink target", func(t *testing.T) *bytes.Buffer {
			return makeTar(t, tarEntry{name: "l", typ: tar.TypeSymlink, link: "/" + long})
		}, `entry "l": link target`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, root := sandbox(t)
			_, err := unpack(tc.tar(t), root)
			if !errors.Is(err, inputbounds.ErrTooLarge) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestUnpackBoundsAtTheLimitPass(t *testing.T) {
	_, root := sandbox(t)
	name := strings.Repeat("n", maxComponentLen)
	if _, err := unpack(makeTar(t, tarEntry{name: name, body: "x"}), root); err != nil {
		t.Fatalf("a name of %d bytes: %v", maxComponentLen, err)
	}
}

func TestUnpackEntryCount(t *testing.T) {
	defer func(n int) { maxLayerEntries = n }(maxLayerEntries)
	maxLayerEntries = 3
	_, root := sandbox(t)
	entries := []tarEntry{{name: "a", body: "1"}, {name: "b", body: "2"}, {name: "c", body: "3"}}
	if _, err := unpack(makeTar(t, entries...), root); err != nil {
		t.Fatalf("3 entries under a limit of 3: %v", err)
	}
	_, root = sandbox(t)
	_, err := unpack(makeTar(t, append(entries, tarEntry{name: "d", body: "4"})...), root)
	if !errors.Is(err, inputbounds.ErrTooLarge) || !strings.Contains(err.Error(), "more than 3 entries") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Lstat(root + "/d"); err == nil {
		t.Error("the entry over the limit was written")
	}
}

// A layer refused half-way leaves nothing in the store: no layer, no
// temporary directory.
func TestUnpackTempRemovedOnBound(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.unpackTemp(hugeFileTar(t, maxLayerBytes), false); !errors.Is(err, inputbounds.ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	for _, d := range []string{s.tmpDir(), s.layersDir()} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("%s holds %d entries after a refused layer", d, len(ents))
		}
	}
}
