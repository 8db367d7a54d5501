package docker

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

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
	// Names only: a name may be another container's id prefix, as in
	// Docker (Find prefers the name).
	recs, err := List(containersDir)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Name == name {
			return errdefs.New(errdefs.ErrExists, fmt.Sprintf("--name %q: already in use by container %s; remove it with `minirun rm %s`", name, ShortID(r.ID), name))
		}
	}
	return nil
}

// Save writes the record into dir.
func (r Record) Save(dir string) error {
	return atomicfile.WriteJSON(filepath.Join(dir, recordFile), r, 0o600, false)
}

// Find looks a container up by name, full ID or any unique ID prefix, as
// Docker does (one character is enough when it is unique). A name or a
// full ID wins over a prefix, so a container named "abc" is found by
// "abc" even when another's ID starts with it. An ambiguous prefix is an
// ErrInvalid naming the candidates by their short ids.
func Find(containersDir, ref string) (*Record, error) {
	if ref == "" {
		return nil, invalidf("container reference: empty")
	}
	// A full ID is the directory's name: read that one record only.
	if isHexID(ref) {
		var r Record
		if err := atomicfile.ReadJSON(filepath.Join(containersDir, ref, recordFile), &r); err == nil {
			return &r, nil
		}
	}
	recs, err := List(containersDir)
	if err != nil {
		return nil, err
	}
	var found []*Record
	for _, r := range recs {
		if r.Name == ref || r.ID == ref {
			return r, nil
		}
		if strings.HasPrefix(r.ID, ref) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, errdefs.New(errdefs.ErrNotFound, "no such container: "+ref)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, r := range found {
		ids[i] = ShortID(r.ID)
	}
	sort.Strings(ids)
	return nil, invalidf("container reference %q is ambiguous: it is a prefix of %s; give more of the id", ref, strings.Join(ids, ", "))
}

// List reads every container record under containersDir, in no
// particular order. A directory without a readable record (one being
// made or removed) is skipped. A missing directory has no records.
//
// ps -a reads hundreds of them per call: each is read with one open,
// read and close (os.ReadFile adds a stat and a poller registration),
// on as many goroutines as there are CPUs.
func List(containersDir string) ([]*Record, error) {
	ents, err := os.ReadDir(containersDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	recs := make([]*Record, len(ents))
	workers := min(runtime.GOMAXPROCS(0), len(ents)/32+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 8<<10)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ents) {
					return
				}
				var data []byte
				data, buf = readSmall(filepath.Join(containersDir, ents[i].Name(), recordFile), buf)
				r := new(Record)
				if data != nil && json.Unmarshal(data, r) == nil && r.ID != "" {
					recs[i] = r
				}
			}
		}()
	}
	wg.Wait()
	out := recs[:0]
	for _, r := range recs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// readSmall reads the file at path into buf (grown as needed) and
// returns its content, nil if it can't be read, and the buffer to reuse.
func readSmall(path string, buf []byte) ([]byte, []byte) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, buf
	}
	defer unix.Close(fd)
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, buf
		}
		if n == 0 {
			return buf, buf
		}
		buf = buf[:len(buf)+n]
	}
}

// ShortID is the 12-digit form of a container ID that ps and errors show.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
