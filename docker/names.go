package docker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/atomicfile"
)

const recordFile = "container.json"

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// NewID makes a 64-hex-digit container ID, as Docker's.
func NewID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// CheckName refuses a malformed name or one another container has.
func CheckName(containersDir, name string) error {
	if name == "" {
		return nil
	}
	if !validName.MatchString(name) {
		return invalidf("--name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	if r, err := Find(containersDir, name); err == nil {
		return errdefs.New(errdefs.ErrExists, fmt.Sprintf("--name %q: already in use by container %s; remove it with `minirun rm %s`", name, r.ID[:12], name))
	}
	return nil
}

// Save writes the record into dir.
func (r Record) Save(dir string) error {
	return atomicfile.WriteJSON(filepath.Join(dir, recordFile), r, 0o600, false)
}

// Find looks a container up by name, full ID or an ID prefix.
func Find(containersDir, ref string) (*Record, error) {
	ents, err := os.ReadDir(containersDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var found []*Record
	for _, e := range ents {
		var r Record
		if atomicfile.ReadJSON(filepath.Join(containersDir, e.Name(), recordFile), &r) != nil {
			continue
		}
		if r.Name == ref || r.ID == ref {
			return &r, nil
		}
		if len(ref) >= 4 && strings.HasPrefix(r.ID, ref) {
			found = append(found, &r)
		}
	}
	switch len(found) {
	case 0:
		return nil, errdefs.New(errdefs.ErrNotFound, "no such container: "+ref)
	case 1:
		return found[0], nil
	default:
		return nil, invalidf("container reference %q is ambiguous", ref)
	}
}
