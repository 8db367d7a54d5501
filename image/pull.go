package image

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pull fetches ref over the OCI distribution protocol and stores it under
// its normalized name. Registries on localhost/127.0.0.1 are spoken to over
// plain HTTP; credentials come from ~/.docker/config.json when present.
// progress gets Docker's report: "TAG: Pulling from REPO", a line per
// layer (redrawn with a bar on a terminal), "Digest:" and "Status:".
// Nothing is written to it before the manifest is found, so a pull of
// an image the registry lacks fails with its one error only.
func (s *Store) Pull(ctx context.Context, ref string, progress io.Writer) (*Image, error) {
	r, err := parseRef(ref)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	norm := refString(r)
	img, err := remote.Image(r,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		// An index names one image per platform; run what this host runs.
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}),
	)
	if err != nil {
		return nil, fmt.Errorf("pull %s: fetch manifest: %s", norm, oneLine(err))
	}
	p := newProgress(progress)
	_, tag := SplitName(norm)
	p.linef("%s: Pulling from %s", tag, r.Context().RepositoryStr())
	n, err := fromV1(norm, img)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", norm, err)
	}
	old, _ := s.Get(norm)
	out, err := s.add(n, p)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %s", norm, oneLine(err))
	}
	if d, err := img.Digest(); err == nil {
		p.linef("Digest: %s", d)
	}
	if old != nil && old.ID == out.ID {
		p.linef("Status: Image is up to date for %s", FamiliarName(norm))
	} else {
		p.linef("Status: Downloaded newer image for %s", FamiliarName(norm))
	}
	return out, nil
}

// oneLine keeps a registry's error, whose body may run over lines, to
// the one line an error gets.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
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
	raw, err := img.RawConfigFile()
	if err != nil {
		return newImage{}, fmt.Errorf("config: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return newImage{}, fmt.Errorf("layers: %w", err)
	}
	n := newImage{name: norm, id: id.String(), config: configOf(cf.Config), created: cf.Created.UTC(), raw: raw}
	for i, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			return newImage{}, fmt.Errorf("layer %d: diff-id: %w", i+1, err)
		}
		size, _ := l.Size() // only for progress
		src := layerSource{diffID: d.String(), size: size, open: l.Uncompressed, layer: l}
		if dg, err := l.Digest(); err == nil {
			src.id = short(dg.String())
		}
		n.layers = append(n.layers, src)
	}
	return n, nil
}
