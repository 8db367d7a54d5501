package image

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Image is a stored image, ready to be mounted.
type Image struct {
	Name    string   // normalized, e.g. "docker.io/library/alpine:latest"
	ID      string   // config digest, "sha256:..."
	Layers  []string // unpacked layer dirs, lowest first
	Config  Config
	Size    int64     // bytes of file content over all layers
	Created time.Time // the image config's, or when it was imported
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
	// Volumes are the image's VOLUME lines: each gets an anonymous
	// volume, filled from the image, unless a run mounts something there.
	Volumes map[string]struct{} `json:"Volumes,omitempty"`
}

// record is an image's file under images/.
type record struct {
	Name    string   `json:"name"`
	ID      string   `json:"id"`
	DiffIDs []string `json:"diffIDs"` // lowest first
	Config  Config   `json:"config"`
	Size    int64    `json:"size"`
	// Created is the config's (zero in a record of an older minirun:
	// the record's own time stands in).
	Created time.Time `json:"created,omitempty"`
	// RawConfig is the image's config as pulled or loaded, kept so that
	// save and push give back what came in (labels, history, ports), with
	// only the layers' digests brought up to date.
	RawConfig json.RawMessage `json:"rawConfig,omitempty"`
}

func (s *Store) recordPath(normName string) string {
	sum := sha256.Sum256([]byte(normName))
	return filepath.Join(s.imagesDir(), hex.EncodeToString(sum[:])+".json")
}

func (s *Store) image(r *record) *Image {
	img := &Image{Name: r.Name, ID: r.ID, Config: r.Config, Size: r.Size, Created: r.Created}
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
		// One image under several names: any of its records serves (they
		// differ only in name); rmi by ID takes every name.
		if found == nil {
			found = &recs[i]
		}
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
		p := filepath.Join(s.imagesDir(), e.Name())
		if err := readJSON(p, &r); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while we listed
			}
			return nil, fmt.Errorf("list images: %w", err)
		}
		if r.Created.IsZero() {
			if fi, err := os.Stat(p); err == nil {
				r.Created = fi.ModTime().UTC()
			}
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
// container root still uses. It does not ask whether a container uses the
// image (RemoveImage does).
func (s *Store) Remove(ref string) error {
	_, err := s.RemoveImage(ref, true)
	return err
}

// Removal is what RemoveImage did, in the order Docker reports it: the
// names it took away, then the image ID when the last name went.
type Removal struct {
	Untagged []string // normalized names
	Deleted  string   // the image's ID, or "" while a name or a container keeps it
}

// InUseError is RemoveImage's refusal of an image a container uses.
type InUseError struct {
	Ref       string // as the user named the image
	ImageID   string
	Container string // the container's ID
	Running   bool
	ByID      bool // the user named the image by its ID
}

func (e *InUseError) Error() string {
	state := "stopped"
	if e.Running {
		state = "running"
	}
	if e.ByID {
		return fmt.Sprintf("conflict: unable to delete %s (must be forced) - image is being used by %s container %s", short(e.ImageID), state, short(e.Container))
	}
	return fmt.Sprintf("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s", e.Ref, short(e.Container), short(e.ImageID))
}

// RemoveImage is rmi. A name is taken away; the image itself goes with
// its last name, and then every layer no image and no container stacks.
// An image a container uses (running or stopped) keeps its last name
// unless force: forced, the name goes but the layers stay as long as the
// container stacks them, as Docker leaves such an image untagged. Named
// by ID, an image with several names loses them all only when forced.
func (s *Store) RemoveImage(ref string, force bool) (Removal, error) {
	unlock, err := s.lock(lockEx)
	if err != nil {
		return Removal{}, err
	}
	defer unlock()
	r, err := s.find(ref)
	if err != nil {
		return Removal{}, err
	}
	recs, err := s.records()
	if err != nil {
		return Removal{}, err
	}
	var names []string // every name of the image
	for _, o := range recs {
		if o.ID == r.ID {
			names = append(names, o.Name)
		}
	}
	byID := !s.isName(ref, r)
	remove := []string{r.Name}
	if byID {
		if len(names) > 1 && !force {
			return Removal{}, fmt.Errorf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", short(r.ID))
		}
		remove = names
	}
	last := len(remove) == len(names)
	if last && !force {
		users, err := s.imageUsers(r)
		if err != nil {
			return Removal{}, err
		}
		if len(users) > 0 {
			return Removal{}, &InUseError{Ref: ref, ImageID: r.ID, Container: users[0].id, Running: users[0].running, ByID: byID}
		}
	}
	var out Removal
	for _, n := range remove {
		if err := os.Remove(s.recordPath(n)); err != nil {
			return out, fmt.Errorf("remove image %s: %w", n, err)
		}
		out.Untagged = append(out.Untagged, n)
	}
	if last {
		if users, err := s.imageUsers(r); err == nil && len(users) == 0 {
			out.Deleted = r.ID
		}
	}
	if err := s.collectLayers(); err != nil {
		return out, fmt.Errorf("remove image %s: %w", r.Name, err)
	}
	return out, nil
}

// isName says whether ref names r by name rather than by ID.
func (s *Store) isName(ref string, r *record) bool {
	n, err := NormalizeName(ref)
	return err == nil && n == r.Name
}

// Tag gives the image src another name, target, as `docker tag` does. A
// name already in use moves to src's image.
func (s *Store) Tag(src, target string) (*Image, error) {
	tr, err := parseRef(target)
	if err != nil {
		return nil, fmt.Errorf("tag: %w", err)
	}
	if _, ok := tr.(name.Tag); !ok {
		return nil, fmt.Errorf("tag: target %q: a digest can't be given as a tag", target)
	}
	norm := refString(tr)
	unlock, err := s.lock(lockEx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := s.find(src)
	if err != nil {
		return nil, fmt.Errorf("tag: %w", err)
	}
	n := *r
	n.Name = norm
	if err := writeJSON(s.recordPath(norm), n); err != nil {
		return nil, fmt.Errorf("tag %s as %s: %w", r.Name, norm, err)
	}
	// A name moved off another image may have been that image's last.
	if err := s.collectLayers(); err != nil {
		return nil, fmt.Errorf("tag %s as %s: %w", r.Name, norm, err)
	}
	return s.image(&n), nil
}

// imageUser is a container that stacks an image's layers.
type imageUser struct {
	id      string
	running bool
}

// imageUsers lists the containers made from r: those whose layers record
// names r's ID (or, in a record of an older minirun, its name), oldest
// record first. Whether one runs comes from the Docker front's record
// beside it.
func (s *Store) imageUsers(r *record) ([]imageUser, error) {
	ents, err := os.ReadDir(s.ContainersDir())
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []imageUser
	for _, e := range ents {
		dir := filepath.Join(s.ContainersDir(), e.Name())
		var cr containerRecord
		if err := readJSON(filepath.Join(dir, "layers.json"), &cr); err != nil {
			continue // not a container root (or half made): it stacks nothing
		}
		if cr.ImageID != r.ID && (cr.ImageID != "" || cr.Image != r.Name) {
			continue
		}
		// The Docker front's record (docker.Record), read for the one
		// field needed here.
		var dr struct {
			ImageID string
			State   struct{ Running bool }
		}
		_ = readJSON(filepath.Join(dir, "container.json"), &dr)
		out = append(out, imageUser{id: e.Name(), running: dr.State.Running})
	}
	return out, nil
}
