package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Load stores every named image of an archive, as `docker load` does: a
// `docker save` tarball (each RepoTag) or an OCI archive, a tar of an
// OCI image layout (each image its index names by
// io.containerd.image.name, or by an org.opencontainers.image.ref.name
// that is a whole reference); either may be gzipped. It returns the
// names stored, normalized.
func (s *Store) Load(src string) ([]string, error) {
	gz, err := isGzip(src)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", src, err)
	}
	open := func() (io.ReadCloser, error) { return openTar(src, gz) }
	kind, err := tarKind(open)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", src, err)
	}
	var names []string
	switch kind {
	case kindDockerSave:
		names, err = s.loadDockerSave(open)
	case kindOCIArchive:
		names, err = s.loadOCIArchive(open)
	default:
		err = errors.New("neither a docker save archive (manifest.json) nor an OCI archive (oci-layout); a rootfs tar is for import")
	}
	if err != nil {
		return names, fmt.Errorf("load %s: %w", src, err)
	}
	return names, nil
}

func (s *Store) loadDockerSave(open tarball.Opener) ([]string, error) {
	m, err := tarball.LoadManifest(open)
	if err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	var names []string
	for i, d := range m {
		if len(d.RepoTags) == 0 {
			return names, fmt.Errorf("image %d (%s) has no name; minirun keeps images by name: import it with one", i+1, d.Config)
		}
		for _, t := range d.RepoTags {
			tag, err := name.NewTag(t)
			if err != nil {
				return names, fmt.Errorf("tag %q: %w", t, err)
			}
			img, err := tarball.Image(open, &tag)
			if err != nil {
				return names, fmt.Errorf("image %s: %w", t, err)
			}
			norm, err := NormalizeName(t)
			if err != nil {
				return names, err
			}
			n, err := fromV1(norm, img)
			if err != nil {
				return names, fmt.Errorf("image %s: %w", t, err)
			}
			if _, err := s.add(n, newProgress(nil)); err != nil {
				return names, err
			}
			names = append(names, norm)
		}
	}
	return names, nil
}

// ociEntry is the only kind of name an OCI archive holds.
var ociEntry = regexp.MustCompile(`^(oci-layout|index\.json|blobs/[a-z0-9]+/[a-f0-9]+)$`)

const containerdNameAnnotation = "io.containerd.image.name"

func (s *Store) loadOCIArchive(open tarball.Opener) ([]string, error) {
	dir, release, err := s.makeTemp("load-", false)
	if err != nil {
		return nil, err
	}
	defer release()
	defer s.removeAll(dir)
	if err := extractOCIArchive(open, dir); err != nil {
		return nil, err
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("OCI layout: %w", err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("OCI layout: index.json: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("OCI layout: index.json: %w", err)
	}
	var names []string
	for _, d := range im.Manifests {
		ref := d.Annotations[containerdNameAnnotation]
		if ref == "" {
			ref = d.Annotations[refNameAnnotation]
		}
		norm, err := NormalizeName(ref)
		if ref == "" || err != nil || !d.MediaType.IsImage() {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return names, fmt.Errorf("OCI layout: image %s: %w", d.Digest, err)
		}
		n, err := fromV1(norm, img)
		if err != nil {
			return names, fmt.Errorf("image %s: %w", ref, err)
		}
		if _, err := s.add(n, newProgress(nil)); err != nil {
			return names, err
		}
		names = append(names, norm)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("OCI archive names no image (%s or a full %s annotation); import it with a name", containerdNameAnnotation, refNameAnnotation)
	}
	return names, nil
}

// extractOCIArchive writes an OCI archive's files under dir. Only the
// layout's own names are taken, as plain files, so no entry of the tar
// can reach outside dir.
func extractOCIArchive(open tarball.Opener, dir string) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		n := path.Clean(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || !ociEntry.MatchString(n) {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("extract %s: %w", n, err)
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("extract %s: %w", n, err)
		}
	}
}
