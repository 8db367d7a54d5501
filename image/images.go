package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Image is a stored image, ready to be mounted.
type Image struct {
	Name   string   // normalized, e.g. "docker.io/library/alpine:latest"
	ID     string   // config digest, "sha256:..."
	Layers []string // unpacked layer dirs, lowest first
	Config Config
	Size   int64 // bytes of file content over all layers
}

// Config is the part of the image config a container is built from.
type Config struct {
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
	User       string   `json:"User,omitempty"`
	// ExposedPorts are the image's EXPOSE lines ("80/tcp"), for -P.
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
}

// record is an image's file under images/.
type record struct {
	Name    string   `json:"name"`
	ID      string   `json:"id"`
	DiffIDs []string `json:"diffIDs"` // lowest first
	Config  Config   `json:"config"`
	Size    int64    `json:"size"`
}

func (s *Store) recordPath(normName string) string {
	sum := sha256.Sum256([]byte(normName))
	return filepath.Join(s.imagesDir(), hex.EncodeToString(sum[:])+".json")
}

func (s *Store) image(r *record) *Image {
	img := &Image{Name: r.Name, ID: r.ID, Config: r.Config, Size: r.Size}
	for _, d := range r.DiffIDs {
		img.Layers = append(img.Layers, s.layerFS(d))
	}
	return img
}

// Get finds an image by name (normalized as NormalizeName does) or by its
// ID or an unambiguous ID prefix of at least 12 hex digits.
func (s *Store) Get(ref string) (*Image, error) {
	r, err := s.find(ref)
	if err != nil {
		return nil, err
	}
	return s.image(r), nil
}

func (s *Store) find(ref string) (*record, error) {
	if n, err := NormalizeName(ref); err == nil {
		var r record
		err := readJSON(s.recordPath(n), &r)
		if err == nil {
			return &r, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("image %s: %w", ref, err)
		}
	}
	if id := strings.TrimPrefix(ref, "sha256:"); len(id) >= 12 && isHex(id) {
		return s.findID(ref, id)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
}

func (s *Store) findID(ref, prefix string) (*record, error) {
	recs, err := s.records()
	if err != nil {
		return nil, err
	}
	var found *record
	for i := range recs {
		if !strings.HasPrefix(strings.TrimPrefix(recs[i].ID, "sha256:"), prefix) {
			continue
		}
		if found != nil && found.ID != recs[i].ID {
			return nil, fmt.Errorf("image %s: ambiguous ID prefix", ref)
		}
		if found != nil {
			return nil, fmt.Errorf("image %s: ID is tagged as %s and %s; name one", ref, found.Name, recs[i].Name)
		}
		found = &recs[i]
	}
	if found == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return found, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) records() ([]record, error) {
	ents, err := os.ReadDir(s.imagesDir())
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var out []record
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		var r record
		if err := readJSON(filepath.Join(s.imagesDir(), e.Name()), &r); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while we listed
			}
			return nil, fmt.Errorf("list images: %w", err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// List returns every stored image, sorted by name.
func (s *Store) List() ([]Image, error) {
	recs, err := s.records()
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(recs))
	for i := range recs {
		out = append(out, *s.image(&recs[i]))
	}
	return out, nil
}

// Remove deletes an image's name and then every layer that no image and no
// container root still uses.
func (s *Store) Remove(ref string) error {
	unlock, err := s.lock(lockEx)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.find(ref)
	if err != nil {
		return err
	}
	if err := os.Remove(s.recordPath(r.Name)); err != nil {
		return fmt.Errorf("remove image %s: %w", r.Name, err)
	}
	if err := s.collectLayers(); err != nil {
		return fmt.Errorf("remove image %s: %w", r.Name, err)
	}
	return nil
}
