package image

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is how Docker users write the Hub; go-containerregistry calls it
// index.docker.io, which nobody types.
const dockerHub = "docker.io"

// NormalizeName turns a user's reference into the one form the store keys
// images by: "alpine" -> "docker.io/library/alpine:latest".
func NormalizeName(ref string) (string, error) {
	r, err := parseRef(ref)
	if err != nil {
		return "", err
	}
	return refString(r), nil
}

// parseRef parses ref and marks registries on the loopback as plain HTTP.
func parseRef(ref string) (name.Reference, error) {
	if ref == "" {
		return nil, fmt.Errorf("image reference: empty")
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	if isLoopback(r.Context().RegistryStr()) {
		r, err = name.ParseReference(ref, name.Insecure)
		if err != nil {
			return nil, fmt.Errorf("image reference %q: %w", ref, err)
		}
	}
	return r, nil
}

func refString(r name.Reference) string {
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = dockerHub
	}
	repo := reg + "/" + r.Context().RepositoryStr()
	switch v := r.(type) {
	case name.Digest:
		return repo + "@" + v.DigestStr()
	case name.Tag:
		return repo + ":" + v.TagStr()
	}
	return repo + ":" + r.Identifier()
}

// isLoopback reports whether a registry host:port is on this machine, where
// a test or local registry speaks plain HTTP.
func isLoopback(reg string) bool {
	host := reg
	if i := lastColon(reg); i >= 0 {
		host = reg[:i]
	}
	switch host {
	case "localhost", "127.0.0.1", "[::1]", "::1":
		return true
	}
	return false
}

// lastColon finds the port separator, ignoring colons inside [v6] brackets.
func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ':':
			return i
		case ']':
			return -1
		}
	}
	return -1
}

// FamiliarName is a normalized name as Docker shows it: the Hub's
// registry and its "library/" left out ("alpine:latest",
// "127.0.0.1:5000/test/busybox:1").
func FamiliarName(norm string) string {
	repo, tag := SplitName(norm)
	sep := ":"
	if strings.HasPrefix(tag, "sha256:") {
		sep = "@"
	}
	return repo + sep + tag
}

// SplitName splits a normalized name into Docker's REPOSITORY and TAG
// columns, the repository in its familiar form; a name by digest has the
// digest as its tag.
func SplitName(norm string) (repo, tag string) {
	repo, tag = norm, ""
	if i := strings.LastIndex(norm, "@"); i >= 0 {
		repo, tag = norm[:i], norm[i+1:]
	} else if i := strings.LastIndex(norm, ":"); i > strings.LastIndex(norm, "/") {
		repo, tag = norm[:i], norm[i+1:]
	}
	repo = strings.TrimPrefix(repo, dockerHub+"/")
	repo = strings.TrimPrefix(repo, "library/")
	return repo, tag
}
