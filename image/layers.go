package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// layerMeta sits beside a layer's fs/ directory.
type layerMeta struct {
	DiffID string `json:"diffID"`
	Size   int64  `json:"size"`
	// IDMap is the maps the owners were shifted with (shift.go), or ""
	// for owners kept as the tar has them (root) or as the caller.
	IDMap string `json:"idMap,omitempty"`
}

func (s *Store) layerDir(diffID string) string {
	return filepath.Join(s.layersDir(), strings.TrimPrefix(diffID, "sha256:"))
}

func (s *Store) layerFS(diffID string) string { return filepath.Join(s.layerDir(diffID), "fs") }

// layerSize returns the recorded size of a stored layer, or ok=false if the
// layer is not (completely) there.
func (s *Store) layerSize(diffID string) (size int64, ok bool) {
	var m layerMeta
	if err := readJSON(filepath.Join(s.layerDir(diffID), "meta.json"), &m); err != nil {
		return 0, false
	}
	return m.Size, true
}

// unpackTemp extracts the uncompressed layer tar r into a new directory
// under tmp/ and returns it with the layer's diff-id, computed on the way.
// Nothing in the store refers to the result until commitLayer renames it.
// The directory is held (makeTemp) until the caller releases it.
func (s *Store) unpackTemp(r io.Reader, storeLocked bool) (tmp string, release func(), meta layerMeta, err error) {
	dir, held, err := s.makeTemp("layer-", storeLocked)
	if err != nil {
		return "", nil, meta, fmt.Errorf("unpack layer: %w", err)
	}
	// dir and held, not tmp and release: every error return sets those
	// to zero before this runs.
	defer func() {
		if err != nil {
			s.removeAll(dir)
			held()
		}
	}()
	tmp = dir
	fsDir := filepath.Join(tmp, "fs")
	// The layer root is the container's "/" unless the tar says otherwise.
	if err := os.Mkdir(fsDir, 0o755); err != nil {
		return "", nil, meta, fmt.Errorf("unpack layer: %w", err)
	}
	if err := os.Chmod(fsDir, 0o755); err != nil { // past the umask
		return "", nil, meta, fmt.Errorf("unpack layer: %w", err)
	}
	h := sha256.New()
	tee := io.TeeReader(r, h)
	size, err := s.unpackLayer(tee, fsDir)
	if err != nil {
		return "", nil, meta, err
	}
	// The digest covers the whole stream, including the tar's end padding.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return "", nil, meta, fmt.Errorf("unpack layer: read to end: %w", err)
	}
	meta = layerMeta{DiffID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: size, IDMap: s.Shift.String()}
	if err := writeJSON(filepath.Join(tmp, "meta.json"), meta); err != nil {
		return "", nil, meta, fmt.Errorf("unpack layer: %w", err)
	}
	return tmp, held, meta, nil
}

// commitLayer moves an unpacked layer into place, or drops it when the same
// layer got there first. The caller holds the store lock.
func (s *Store) commitLayer(tmp string, meta layerMeta) error {
	if _, ok := s.layerSize(meta.DiffID); ok {
		return s.removeAll(tmp)
	}
	dst := s.layerDir(meta.DiffID)
	// A directory without meta.json is a leftover of a crash mid-removal.
	if err := s.removeAll(dst); err != nil {
		return fmt.Errorf("commit layer %s: clear leftover: %w", meta.DiffID, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("commit layer %s: %w", meta.DiffID, err)
	}
	return nil
}

// collectLayers deletes every layer no image record and no container root
// refers to. The caller holds the store lock exclusively.
func (s *Store) collectLayers() error {
	used := map[string]bool{}
	recs, err := s.records()
	if err != nil {
		return err
	}
	for _, r := range recs {
		for _, d := range r.DiffIDs {
			used[strings.TrimPrefix(d, "sha256:")] = true
		}
	}
	ctrs, err := os.ReadDir(s.ContainersDir())
	if err != nil {
		return fmt.Errorf("collect layers: %w", err)
	}
	for _, c := range ctrs {
		var cr containerRecord
		err := readJSON(filepath.Join(s.ContainersDir(), c.Name(), "layers.json"), &cr)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("collect layers: container %s: %w", c.Name(), err)
		}
		for _, d := range cr.DiffIDs {
			used[strings.TrimPrefix(d, "sha256:")] = true
		}
	}
	layers, err := os.ReadDir(s.layersDir())
	if err != nil {
		return fmt.Errorf("collect layers: %w", err)
	}
	for _, l := range layers {
		if used[l.Name()] {
			continue
		}
		// Drop meta.json first: a layer without it counts as absent, so a
		// crash halfway leaves nothing that looks whole.
		dir := filepath.Join(s.layersDir(), l.Name())
		if err := os.Remove(filepath.Join(dir, "meta.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("collect layer %s: %w", l.Name(), err)
		}
		if err := s.removeAll(dir); err != nil {
			return fmt.Errorf("collect layer %s: %w", l.Name(), err)
		}
	}
	return nil
}
