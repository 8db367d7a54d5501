package image

import (
	"archive/tar"
	"bytes"
	"os"
	"testing"
)

// A layer that fails to unpack must not stay in tmp/: the named result
// the error path returns is "", so the clean-up can't use it.
func TestUnpackTempRemovesFailedLayer(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	if _, _, _, err := s.unpackTemp(&buf, false); err == nil {
		t.Fatal("a tar climbing out with .. unpacked")
	}
	ents, _ := os.ReadDir(s.tmpDir())
	if len(ents) != 0 {
		t.Fatalf("left in tmp/: %v", ents)
	}
}
