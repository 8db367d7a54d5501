package image

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pull fetches ref over the OCI distribution protocol and stores it under
// its normalized name. Registries on localhost/127.0.0.1 are spoken to over
// plain HTTP; credentials come from ~/.docker/config.json when present.
func (s *Store) Pull(ctx context.Context, ref string, progress io.Writer) (*Image, error) {
	r, err := parseRef(ref)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	norm := refString(r)
	newProgress(progress).linef("pulling %s", norm)
	img, err := remote.Image(r,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		// An index names one image per platform; run what this host runs.
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}),
	)
	if err != nil {
		return nil, fmt.Errorf("pull %s: fetch manifest: %w", norm, err)
	}
	n, err := fromV1(norm, img)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", norm, err)
	}
	out, err := s.add(n, progress)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", norm, err)
	}
	return out, nil
}

// fromV1 describes a go-containerregistry image (remote, OCI layout or
// docker save) for add.
func fromV1(norm string, img v1.Image) (newImage, error) {
	id, err := img.ConfigName()
	if err != nil {
		return newImage{}, fmt.Errorf("config digest: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return newImage{}, fmt.Errorf("config: %w", err)
	}
	if cf.OS != "" && cf.OS != "linux" {
		return newImage{}, fmt.Errorf("image is for %s, not linux", cf.OS)
	}
	layers, err := img.Layers()
	if err != nil {
		return newImage{}, fmt.Errorf("layers: %w", err)
	}
	n := newImage{name: norm, id: id.String(), config: configOf(cf.Config)}
	for i, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			return newImage{}, fmt.Errorf("layer %d: diff-id: %w", i+1, err)
		}
		size, _ := l.Size() // only for progress
		n.layers = append(n.layers, layerSource{diffID: d.String(), size: size, open: l.Uncompressed})
	}
	return n, nil
}
