package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
)

// layerSource is one layer to store: its diff-id when known beforehand (so a
// layer already in the store is not fetched again), and how to read it as an
// uncompressed tar.
type layerSource struct {
	diffID string
	size   int64  // bytes to fetch, for progress; 0 if unknown
	id     string // what progress calls it: Docker's short blob digest
	open   func() (io.ReadCloser, error)
	// layer, when set, is the image's layer, whose compressed stream is
	// read through a counter for the progress bar.
	layer v1.Layer
}

// newImage is what Pull and Import hand to add.
type newImage struct {
	name    string // normalized
	id      string // config digest; empty to derive one from the layers
	config  Config
	created time.Time // the config's; zero for now
	raw     []byte    // the config as the image has it, for save and push
	layers  []layerSource
}

// add unpacks the layers the store lacks, then, under the store lock, moves
// them into place and writes the image record. Unpacking happens without
// the lock so that a long pull doesn't hold up runs and other pulls; two
// pulls of one layer both unpack it and the second commit drops its copy.
func (s *Store) add(n newImage, p *progress) (*Image, error) {
	tmps := make([]string, len(n.layers))
	metas := make([]layerMeta, len(n.layers))
	var releases []func()
	defer func() {
		for _, t := range tmps {
			if t != "" {
				os.RemoveAll(t)
			}
		}
		for _, r := range releases {
			r()
		}
	}()
	for i, l := range n.layers {
		if l.diffID != "" {
			if _, ok := s.layerSize(l.diffID); ok {
				p.layer(l.label(i), "Already exists", true)
				metas[i].DiffID = l.diffID
				continue
			}
		}
		tmp, release, meta, err := s.fetchLayer(l, i, p, false)
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %d: %w", n.name, i+1, err)
		}
		tmps[i], metas[i] = tmp, meta
		releases = append(releases, release)
	}

	unlock, err := s.lock(lockEx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec := record{Name: n.name, ID: n.id, Config: n.config, Created: n.created, RawConfig: n.raw}
	if rec.Created.IsZero() {
		rec.Created = time.Now().UTC()
	}
	for i, l := range n.layers {
		if tmps[i] != "" {
			if err := s.commitLayer(tmps[i], metas[i]); err != nil {
				return nil, fmt.Errorf("image %s: %w", n.name, err)
			}
			tmps[i] = ""
		}
		size, ok := s.layerSize(metas[i].DiffID)
		if !ok {
			// rmi took a layer we had found present: fetch it again, now
			// under the lock so it can't happen twice.
			tmp, release, meta, err := s.fetchLayer(l, i, p, true)
			if err != nil {
				return nil, fmt.Errorf("image %s: layer %d: %w", n.name, i+1, err)
			}
			releases = append(releases, release)
			if err := s.commitLayer(tmp, meta); err != nil {
				return nil, fmt.Errorf("image %s: %w", n.name, err)
			}
			size = meta.Size
		}
		rec.DiffIDs = append(rec.DiffIDs, metas[i].DiffID)
		rec.Size += size
	}
	if rec.ID == "" {
		if rec.ID, err = syntheticID(rec.DiffIDs, rec.Config); err != nil {
			return nil, fmt.Errorf("image %s: %w", n.name, err)
		}
	}
	if err := writeJSON(s.recordPath(n.name), rec); err != nil {
		return nil, fmt.Errorf("image %s: record: %w", n.name, err)
	}
	return s.image(&rec), nil
}

// label is what progress calls the layer.
func (l layerSource) label(i int) string {
	switch {
	case l.id != "":
		return l.id
	case l.diffID != "":
		return short(l.diffID)
	}
	return fmt.Sprintf("layer %d", i+1)
}

func (s *Store) fetchLayer(l layerSource, i int, p *progress, storeLocked bool) (string, func(), layerMeta, error) {
	label := l.label(i)
	p.layer(label, "Pulling fs layer", false)
	open := l.open
	if l.layer != nil && p.tty {
		// Count the bytes as they come off the wire, before they are
		// decompressed, so the bar measures against the manifest's size.
		cl, err := partial.CompressedToLayer(&countedLayer{Layer: l.layer, wrap: func(r io.Reader) io.Reader {
			return p.counter(label, l.size, r)
		}})
		if err != nil {
			return "", nil, layerMeta{}, err
		}
		open = cl.Uncompressed
	}
	rc, err := open()
	if err != nil {
		return "", nil, layerMeta{}, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	tmp, release, meta, err := s.unpackTemp(rc, storeLocked)
	if err != nil {
		return "", nil, meta, err
	}
	if l.diffID != "" && meta.DiffID != l.diffID {
		os.RemoveAll(tmp)
		release()
		return "", nil, meta, fmt.Errorf("content is %s, but the image says %s", meta.DiffID, l.diffID)
	}
	p.layer(label, "Pull complete", true)
	return tmp, release, meta, nil
}

// countedLayer is a layer whose compressed stream goes through wrap.
type countedLayer struct {
	v1.Layer
	wrap func(io.Reader) io.Reader
}

func (c *countedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := c.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{c.wrap(rc), rc}, nil
}

// syntheticID is the digest of an OCI config for an image made from plain
// files (a rootfs import), so the same files get the same ID.
func syntheticID(diffIDs []string, c Config) (string, error) {
	cf := v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd,
			WorkingDir: c.WorkingDir, User: c.User,
		},
	}
	for _, d := range diffIDs {
		h, err := v1.NewHash(d)
		if err != nil {
			return "", fmt.Errorf("config: diff-id %q: %w", d, err)
		}
		cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, h)
	}
	data, err := json.Marshal(cf)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	return h.String(), nil
}

func configOf(c v1.Config) Config {
	return Config{Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, User: c.User, ExposedPorts: c.ExposedPorts, Volumes: c.Volumes}
}

// short is the 12 hex digits people see for a digest.
func short(digest string) string {
	if i := len("sha256:"); len(digest) > i && digest[:i] == "sha256:" {
		digest = digest[i:]
	}
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}
