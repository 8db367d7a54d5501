package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/specjson"
)

// Handle is a container's state directory held under an exclusive flock,
// so two commands never change one container at once. The lock belongs to
// the open directory, which is close-on-exec: a container's init never
// inherits it.
type Handle struct {
	ID   string
	Dir  string
	root string
	f    *os.File
}

// Create makes the directory of a new container and locks it. It fails
// with ErrExists if the id is taken.
func (r *Root) Create(id string) (*Handle, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	if err := r.ensure(); err != nil {
		return nil, err
	}
	dir := r.Dir(id)
	err := os.Mkdir(dir, 0o711)
	if errors.Is(err, os.ErrExist) && r.RemoveStale(id) {
		err = os.Mkdir(dir, 0o711)
	}
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("container %s: %w", id, ErrExists)
		}
		return nil, fmt.Errorf("create state dir %s: %w", dir, err)
	}
	h, err := r.lock(id)
	if err != nil {
		os.Remove(dir)
	}
	return h, err
}

// Open locks the directory of an existing container.
func (r *Root) Open(id string) (*Handle, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	if !r.exists {
		return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
	}
	return r.lock(id)
}

func (r *Root) lock(id string) (*Handle, error) {
	root := r.Path
	// A delete may rename the directory away while we wait for its lock,
	// and a create make a new one under the same id: then the lock held
	// is the old directory's, and the path names another. Try again on
	// the new one, a few times.
	for range 3 {
		h, err := lockOnce(root, id)
		if err != errMoved {
			return h, err
		}
	}
	return nil, fmt.Errorf("container %s: its state directory kept being replaced while locking it: %w", id, ErrNotExist)
}

var errMoved = errors.New("state dir replaced while locking")

func lockOnce(root, id string) (*Handle, error) {
	dir := Dir(root, id)
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("open state dir %s: %w", dir, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock state dir %s: %w", dir, err)
	}
	var held, now unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &held); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock state dir %s: fstat: %w", dir, err)
	}
	if err := unix.Stat(dir, &now); err == nil && (now.Ino != held.Ino || now.Dev != held.Dev) {
		f.Close()
		return nil, errMoved
	}
	// A delete that held the lock before us may have removed the directory.
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil && !isNew(dir) {
		f.Close()
		return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
	}
	return &Handle{ID: id, Dir: dir, root: root, f: f}, nil
}

// isNew reports a directory created but not yet saved (Create's own).
func isNew(dir string) bool {
	ents, err := os.ReadDir(dir)
	return err == nil && len(ents) == 0
}

// Unlock releases the lock; the handle can't be used afterwards.
func (h *Handle) Unlock() {
	if h != nil && h.f != nil {
		h.f.Close()
		h.f = nil
	}
}

// Save writes the state atomically.
func (h *Handle) Save(st *State) error {
	if err := writeJSON(filepath.Join(h.Dir, StateFile), st); err != nil {
		return fmt.Errorf("container %s: save state: %w", h.ID, err)
	}
	return nil
}

// SaveSpec keeps the config, so later commands (exec, hooks, delete) see
// the one the container was created with, even if the bundle changes.
func (h *Handle) SaveSpec(spec *specs.Spec) error {
	if err := writeJSON(filepath.Join(h.Dir, ConfigFile), specjson.Of(spec)); err != nil {
		return fmt.Errorf("container %s: save config: %w", h.ID, err)
	}
	return nil
}

// Load reads the saved state.
func (h *Handle) Load() (*State, error) { return (&Root{Path: h.root, exists: true}).Read(h.ID) }

// Path names a file in the container's directory.
func (h *Handle) Path(name string) string { return filepath.Join(h.Dir, name) }

// Remove deletes the directory and releases the lock. The directory is
// first renamed out of the way, in one step: a minirun killed while
// removing its files one by one would leave a directory that is no
// container (no state.json) yet keeps the id taken.
func (h *Handle) Remove() error {
	err := removeDir(h.root, h.Dir)
	h.Unlock()
	if err != nil {
		return fmt.Errorf("container %s: remove state dir: %w", h.ID, err)
	}
	return nil
}

// removedPrefix marks a state directory being removed; '~' is no id
// character, so List never takes one for a container.
const removedPrefix = "~removed-"

func removeDir(root, dir string) error {
	gone, err := os.MkdirTemp(root, removedPrefix)
	if err != nil {
		return os.RemoveAll(dir)
	}
	// Over the empty directory just made: rename may replace one.
	if err := os.Rename(dir, gone); err != nil {
		os.Remove(gone)
		return os.RemoveAll(dir)
	}
	err = os.RemoveAll(gone)
	// What a removal killed half-way left behind.
	if old, _ := filepath.Glob(filepath.Join(root, removedPrefix+"*")); len(old) > 0 {
		for _, o := range old {
			os.RemoveAll(o)
		}
	}
	return err
}

// RemoveStale removes the directory of id if it holds no state and no
// one holds its lock: the leftover of a start killed between creating it
// and saving the first state. It reports whether it removed one.
func (r *Root) RemoveStale(id string) bool {
	if CheckID(id) != nil || !r.exists {
		return false
	}
	root, dir := r.Path, r.Dir(id)
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return false // a live command holds it
	}
	if _, err := os.Stat(filepath.Join(dir, StateFile)); !errors.Is(err, os.ErrNotExist) {
		return false
	}
	return removeDir(root, dir) == nil
}

// Lock takes an exclusive flock on the root itself, for checks that span
// containers (a new one's cgroup against every other's) and must not race
// another start doing the same. The returned function releases it.
func (r *Root) Lock() (func(), error) {
	if err := r.ensure(); err != nil {
		return nil, err
	}
	root := r.Path
	f, err := os.OpenFile(root, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, fmt.Errorf("open state root %s: %w", root, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock state root %s: %w", root, err)
	}
	return func() { f.Close() }, nil
}
