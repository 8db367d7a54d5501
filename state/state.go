// Package state keeps what minirun knows about each container between
// commands: one directory per container under --root holding the OCI
// state, a copy of the config, and the exec fifo. Writers take a flock on
// the directory; readers need none because every file is replaced
// atomically (write to a temporary name, then rename).
package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/specjson"
)

// File names inside a container's directory.
const (
	StateFile  = "state.json"
	ConfigFile = "config.json"
	FifoFile   = "exec.fifo"
)

// ErrExists and ErrNotExist let the CLI answer like runc does.
var (
	ErrExists   = errdefs.New(errdefs.ErrExists, "container already exists")
	ErrNotExist = errdefs.New(errdefs.ErrNotFound, "container does not exist")
)

// State is the OCI state plus what minirun needs to find the container
// again. InitStart is the init's start time in clock ticks since boot
// (/proc/PID/stat field 22): a pid alone could have been reused.
type State struct {
	specs.State
	InitStart  uint64    `json:"initStart,omitempty"`
	Created    time.Time `json:"created"`
	Owner      string    `json:"owner,omitempty"`
	CgroupPath string    `json:"cgroupPath,omitempty"`
	// NoNewKeyring: the container kept its creator's session keyring, so
	// exec must not make it one either.
	NoNewKeyring bool   `json:"noNewKeyring,omitempty"`
	Rootfs       string `json:"rootfs,omitempty"`
}

// validID keeps ids usable as one path element and readable in a table;
// runc takes the same characters.
var validID = regexp.MustCompile(`^[\w+\-.]+$`)

const maxIDLen = 255

// CheckID refuses ids that could escape --root or are empty.
func CheckID(id string) error {
	if !validID.MatchString(id) || id == "." || id == ".." {
		return fmt.Errorf("container id %q: use letters, digits, '_', '+', '-', '.'", id)
	}
	// One path element, and a cgroup name: NAME_MAX.
	if len(id) > maxIDLen {
		return fmt.Errorf("container id %.16q...: %d bytes long, the most is %d", id, len(id), maxIDLen)
	}
	return nil
}

// Dir is the state directory of container id.
func Dir(root, id string) string { return filepath.Join(root, id) }

// Dir is the state directory of container id.
func (r *Root) Dir(id string) string { return filepath.Join(r.Path, id) }

// Read loads the saved state of id without locking.
func (r *Root) Read(id string) (*State, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	var st State
	err := os.ErrNotExist
	if r.exists {
		err = readJSON(filepath.Join(r.Dir(id), StateFile), &st)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("container %s: read state: %w", id, err)
	}
	return &st, nil
}

// ReadSpec loads the config saved by create.
func (r *Root) ReadSpec(id string) (*specs.Spec, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	if !r.exists {
		return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
	}
	var s specs.Spec
	// specjson, not encoding/json: it skips building the tables of the
	// other platforms' types, which a Linux runtime never decodes.
	data, err := os.ReadFile(filepath.Join(r.Dir(id), ConfigFile))
	if err == nil {
		err = specjson.Unmarshal(data, &s)
	}
	if _, serr := os.Stat(r.Dir(id)); errors.Is(err, os.ErrNotExist) && errors.Is(serr, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("container %s: read saved config: %w", id, err)
	}
	return &s, nil
}

// List returns the ids of every container under root, sorted.
func (r *Root) List() ([]string, error) {
	if !r.exists {
		return nil, nil
	}
	root := r.Path
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && CheckID(e.Name()) == nil {
			if _, err := os.Stat(filepath.Join(root, e.Name(), StateFile)); err == nil {
				ids = append(ids, e.Name())
			}
		}
	}
	return ids, nil
}
