package image

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Import stores src under name (normalized like a pull). src is one of:
// a rootfs directory, a .tar or .tar.gz of one, an OCI image layout
// directory, or a `docker save` tarball (optionally gzipped).
func (s *Store) Import(name, src string) (*Image, error) {
	norm, err := NormalizeName(name)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	var owners func(uid, gid int) (int, int)
	if s.Shift != nil {
		owners = s.Shift.ToContainer
	}
	from := src
	if dir, release, err := s.extractIfOCIArchive(src); err != nil {
		return nil, fmt.Errorf("import %s from %s: %w", norm, src, err)
	} else if dir != "" {
		defer release()
		defer s.removeAll(dir)
		from = dir
	}
	n, err := sourceOf(norm, from, owners)
	if err != nil {
		return nil, fmt.Errorf("import %s from %s: %w", norm, src, err)
	}
	img, err := s.add(n, newProgress(nil))
	if err != nil {
		return nil, fmt.Errorf("import from %s: %w", src, err)
	}
	return img, nil
}

// sourceOf tells the kinds of src apart by their contents, not their names.
// A directory's owners are host ids; owners, when not nil, gives the
// layer's for them.
func sourceOf(norm, src string, owners func(uid, gid int) (int, int)) (newImage, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return newImage{}, err
	}
	if fi.IsDir() {
		if exists(filepath.Join(src, "oci-layout")) {
			return layoutSource(norm, src)
		}
		return newImage{name: norm, layers: []layerSource{dirLayer(src, owners)}}, nil
	}
	gz, err := isGzip(src)
	if err != nil {
		return newImage{}, err
	}
	open := func() (io.ReadCloser, error) { return openTar(src, gz) }
	kind, err := tarKind(open)
	if err != nil {
		return newImage{}, err
	}
	switch kind {
	case kindDockerSave:
		return dockerSaveSource(norm, open)
	case kindOCIArchive:
		return newImage{}, errors.New("an OCI layout in a tar") // Import extracts it first
	}
	return newImage{name: norm, layers: []layerSource{{open: open}}}, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func isGzip(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	magic := make([]byte, 2)
	if _, err := io.ReadFull(f, magic); err != nil {
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	return magic[0] == 0x1f && magic[1] == 0x8b, nil
}

// openTar opens a tar file, decompressing it when gz is set.
func openTar(p string, gz bool) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if !gz {
		return f, nil
	}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("gunzip %s: %w", p, err)
	}
	return &gzipFile{zr, f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g *gzipFile) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

type tarKindT int

const (
	kindRootfs tarKindT = iota
	kindDockerSave
	kindOCIArchive
)

// tarKind looks for the top-level files that mark an image archive. A rootfs
// has no manifest.json at its root; docker save always writes one.
func tarKind(open func() (io.ReadCloser, error)) (tarKindT, error) {
	rc, err := open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	oci := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read tar: %w", err)
		}
		switch filepath.Clean(hdr.Name) {
		case "manifest.json":
			return kindDockerSave, nil
		case "oci-layout":
			oci = true
		}
	}
	if oci {
		return kindOCIArchive, nil
	}
	return kindRootfs, nil
}

// extractIfOCIArchive extracts src into a new directory under the store's
// tmp/ when it is an OCI archive (a tar of an OCI layout), and returns the
// directory, which the caller removes; for anything else, "".
func (s *Store) extractIfOCIArchive(src string) (string, func(), error) {
	fi, err := os.Stat(src)
	if err != nil || fi.IsDir() {
		return "", nil, nil // sourceOf reports it
	}
	gz, err := isGzip(src)
	if err != nil {
		return "", nil, nil
	}
	open := func() (io.ReadCloser, error) { return openTar(src, gz) }
	if kind, err := tarKind(open); err != nil || kind != kindOCIArchive {
		return "", nil, nil
	}
	dir, release, err := s.makeTemp("import-", false)
	if err != nil {
		return "", nil, err
	}
	if err := extractOCIArchive(open, dir); err != nil {
		s.removeAll(dir)
		release()
		return "", nil, err
	}
	return dir, release, nil
}
