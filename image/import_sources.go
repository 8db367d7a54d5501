package image

import (
	"fmt"
	"io"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dirLayer streams a rootfs directory as a tar, so it goes through the same
// unpacker (and gets a diff-id) like any other layer. owners, when not
// nil, turns the files' host owners into the layer's.
func dirLayer(dir string, owners func(uid, gid int) (int, int)) layerSource {
	return layerSource{open: func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTarOwned(dir, pw, owners)) }()
		return pr, nil
	}}
}

// dockerSaveSource reads a `docker save` archive. With several images in
// it, the one whose tag normalizes to the import name is taken.
func dockerSaveSource(norm string, open tarball.Opener) (newImage, error) {
	m, err := tarball.LoadManifest(open)
	if err != nil {
		return newImage{}, fmt.Errorf("docker save archive: manifest.json: %w", err)
	}
	var tag *name.Tag
	if len(m) > 1 {
		for _, d := range m {
			for _, t := range d.RepoTags {
				if n, err := NormalizeName(t); err == nil && n == norm {
					nt, err := name.NewTag(t)
					if err != nil {
						return newImage{}, fmt.Errorf("docker save archive: tag %q: %w", t, err)
					}
					tag = &nt
				}
			}
		}
		if tag == nil {
			return newImage{}, fmt.Errorf("docker save archive holds %d images and none is tagged %s", len(m), norm)
		}
	}
	img, err := tarball.Image(open, tag)
	if err != nil {
		return newImage{}, fmt.Errorf("docker save archive: %w", err)
	}
	return fromV1(norm, img)
}

// layoutSource reads an OCI image layout. Nested indexes are followed; of
// the images for this platform, one must stand out: the only one, or the
// one whose ref.name annotation is the import's tag or full name.
func layoutSource(norm, dir string) (newImage, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return newImage{}, fmt.Errorf("OCI layout: %w", err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return newImage{}, fmt.Errorf("OCI layout: index.json: %w", err)
	}
	var found []layoutCandidate
	if err := collectImages(idx, &found, 0); err != nil {
		return newImage{}, fmt.Errorf("OCI layout: %w", err)
	}
	pick, err := pickCandidate(norm, found)
	if err != nil {
		return newImage{}, fmt.Errorf("OCI layout: %w", err)
	}
	img, err := idx.Image(pick.digest)
	if err != nil {
		// The manifest may sit in a nested index, which idx.Image can't see.
		img, err = p.Image(pick.digest)
	}
	if err != nil {
		return newImage{}, fmt.Errorf("OCI layout: image %s: %w", pick.digest, err)
	}
	return fromV1(norm, img)
}

type layoutCandidate struct {
	digest  v1.Hash
	refName string
}

const refNameAnnotation = "org.opencontainers.image.ref.name"

func collectImages(idx v1.ImageIndex, out *[]layoutCandidate, depth int) error {
	if depth > 4 {
		return fmt.Errorf("indexes nested too deep")
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return fmt.Errorf("index %s: %w", d.Digest, err)
			}
			if err := collectImages(child, out, depth+1); err != nil {
				return err
			}
			continue
		}
		if !d.MediaType.IsImage() {
			continue
		}
		if d.Platform != nil && (d.Platform.OS != "linux" || d.Platform.Architecture != runtime.GOARCH) {
			continue
		}
		*out = append(*out, layoutCandidate{digest: d.Digest, refName: d.Annotations[refNameAnnotation]})
	}
	return nil
}

func pickCandidate(norm string, found []layoutCandidate) (layoutCandidate, error) {
	switch len(found) {
	case 0:
		return layoutCandidate{}, fmt.Errorf("no image for linux/%s", runtime.GOARCH)
	case 1:
		return found[0], nil
	}
	tag := ""
	if r, err := name.NewTag(norm); err == nil {
		tag = r.TagStr()
	}
	for _, c := range found {
		if c.refName == "" {
			continue
		}
		if c.refName == tag || c.refName == norm {
			return c, nil
		}
		if n, err := NormalizeName(c.refName); err == nil && n == norm {
			return c, nil
		}
	}
	return layoutCandidate{}, fmt.Errorf("%d images and none has ref.name %s", len(found), norm)
}
