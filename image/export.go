package image

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The store keeps layers unpacked, not as the tars they came in, so save
// and push tar each layer again (whiteouts back in their OCI form). The
// layers' digests are those of the new tars, and the image's ID follows
// them; the config is otherwise the one that came in.

// v1Image is r as a go-containerregistry image.
func (s *Store) v1Image(r *record) (v1.Image, error) {
	var owners func(uid, gid int) (int, int)
	if s.Shift != nil {
		owners = s.Shift.ToContainer
	}
	layers := make([]v1.Layer, 0, len(r.DiffIDs))
	for _, d := range r.DiffIDs {
		dir := s.layerFS(d)
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(writeLayerTar(dir, pw, owners)) }()
			return pr, nil
		})
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", short(d), err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, fmt.Errorf("layers: %w", err)
	}
	fresh, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf := fresh
	if len(r.RawConfig) > 0 {
		if cf, err = v1.ParseConfigFile(bytes.NewReader(r.RawConfig)); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		cf.RootFS = fresh.RootFS
	} else {
		c := r.Config
		cf.Config = v1.Config{Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, User: c.User}
		cf.OS, cf.Architecture = "linux", runtime.GOARCH
		cf.Created = v1.Time{Time: r.Created}
		cf.History = nil
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return img, nil
}

// Save writes the images refs name as a `docker save` archive, which
// `docker load` and Import read. Each name becomes a RepoTag in Docker's
// familiar form; an image named twice is written once.
func (s *Store) Save(w io.Writer, refs []string) error {
	byID := map[string]v1.Image{}
	out := map[name.Reference]v1.Image{}
	for _, ref := range refs {
		r, err := s.find(ref)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		img, ok := byID[r.ID]
		if !ok {
			if img, err = s.v1Image(r); err != nil {
				return fmt.Errorf("save %s: %w", r.Name, err)
			}
			byID[r.ID] = img
		}
		tag, err := name.NewTag(FamiliarName(r.Name))
		if err != nil {
			return fmt.Errorf("save %s: a name by digest can't be a RepoTag: %w", r.Name, err)
		}
		out[tag] = img
	}
	if err := tarball.MultiRefWrite(out, w); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// Push uploads the image ref names to its registry (plain HTTP for one on
// the loopback, as Docker treats localhost), reporting as docker push
// does: the repository, a line per layer, then the tag's digest.
func (s *Store) Push(ctx context.Context, ref string, progress io.Writer) error {
	r, err := s.find(ref)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	dst, err := parseRef(r.Name)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	tag, ok := dst.(name.Tag)
	if !ok {
		return fmt.Errorf("push %s: a name by digest can't be pushed; tag it first", r.Name)
	}
	img, err := s.v1Image(r)
	if err != nil {
		return fmt.Errorf("push %s: %w", r.Name, err)
	}
	p := newProgress(progress)
	repo, _ := SplitName(r.Name)
	p.linef("The push refers to repository [%s]", repo)
	if err := remote.Write(tag, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("push %s: %s", r.Name, oneLine(err))
	}
	layers, _ := img.Layers()
	for i := len(layers) - 1; i >= 0; i-- {
		if d, err := layers[i].Digest(); err == nil {
			p.layer(short(d.String()), "Pushed", true)
		}
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("push %s: %w", r.Name, err)
	}
	m, _ := img.RawManifest()
	p.linef("%s: digest: %s size: %d", tag.TagStr(), d, len(m))
	return nil
}
