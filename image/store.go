package image

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/atomicfile"
	"github.com/minirun/minirun/internal/subid"
)

// ErrNotFound is wrapped by errors for an image the store does not hold.
var ErrNotFound = errdefs.New(errdefs.ErrNotFound, "no such image")

// Store is a directory of images, layers and container roots.
type Store struct {
	Root string
	// Shift, for a caller without root that has subordinate ranges, is
	// the maps its layers are unpacked with and its containers get
	// (shift.go); nil keeps the files as the tar has them (root) or as
	// the caller's own.
	Shift *subid.Maps
}

// Open makes sure the store's directories exist.
func Open(root string) (*Store, error) {
	if root == "" {
		return nil, fmt.Errorf("open image store: empty root")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open image store %s: %w", root, err)
	}
	s := &Store{Root: abs}
	if os.Geteuid() != 0 {
		if m, ok := subid.ForCaller(); ok {
			s.Shift = m
		}
	}
	// Everything in the store is its owner's alone (0700). A container's
	// directory holds its upper layer and, mounted on the host, its merged
	// root: whatever its root made there, a setuid copy of a shell or a
	// device node, would be anyone's to run or open through those paths
	// (they are in every user's /proc/self/mountinfo) if the parents could
	// be traversed, as Docker's CVE-2021-41091 showed. The inits that must
	// reach a container's root before pivot_root run as the owner: root,
	// or for a rootless store the caller, whom its user namespace maps to
	// root.
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open image store %s: %w", abs, err)
	}
	for _, d := range []string{s.imagesDir(), s.layersDir(), s.ContainersDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open image store %s: create %s: %w", abs, d, err)
		}
	}
	if err := s.makePrivate(); err != nil {
		return nil, fmt.Errorf("open image store %s: %w", abs, err)
	}
	s.sweepTmp()
	return s, nil
}

// makePrivate closes a store made by an earlier minirun, whose root and
// containers/ were 0711 and each container's directory too: those
// directories first, containers/ and the root last, so that a store found
// still open is fixed whole again on the next Open. A store already
// private costs two stats.
func (s *Store) makePrivate() error {
	open := false
	for _, d := range []string{s.Root, s.ContainersDir()} {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		open = open || fi.Mode().Perm() != 0o700
	}
	if !open {
		return nil
	}
	ents, err := os.ReadDir(s.ContainersDir())
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.IsDir() { // as ReadDir tells, without following a symlink
			continue
		}
		if err := chmodDir(filepath.Join(s.ContainersDir(), e.Name()), 0o700); err != nil {
			return err
		}
	}
	for _, d := range []string{s.imagesDir(), filepath.Dir(s.layersDir()), s.layersDir(), s.tmpDir(), s.ContainersDir(), s.Root} {
		if err := chmodDir(d, 0o700); err != nil {
			return err
		}
	}
	return nil
}

func chmodDir(p string, mode os.FileMode) error {
	if err := os.Chmod(p, mode); err != nil {
		return fmt.Errorf("make %s private: %w", p, err)
	}
	return nil
}

// staleAfter is how old an entry of tmp/ that no one holds (makeTemp)
// must be before Open removes it anyway: a file, or the leftover of a
// minirun from before the entries were held.
const staleAfter = 24 * time.Hour

// makeTemp makes a directory under tmp/ for a pull, load or import to fill,
// and holds it: an flock on the directory itself, which lasts as long as
// this process keeps the returned release uncalled, or dies. Open's sweep
// removes what no one holds, so the leftovers of a killed pull go with
// the next command. The directory is made and locked under the store's
// shared lock, which the sweep takes exclusively, so the sweep never sees
// one made but not yet held. storeLocked says the caller holds the store
// lock already.
func (s *Store) makeTemp(prefix string, storeLocked bool) (dir string, release func(), err error) {
	if !storeLocked {
		unlock, err := s.lock(lockSh)
		if err != nil {
			return "", nil, err
		}
		defer unlock()
	}
	dir, err = os.MkdirTemp(s.tmpDir(), prefix)
	if err != nil {
		return "", nil, err
	}
	f, err := os.Open(dir)
	if err == nil {
		err = flockRetry(f, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.Remove(dir)
		return "", nil, fmt.Errorf("hold %s: %w", dir, err)
	}
	return dir, func() { f.Close() }, nil
}

// sweepTmp removes the leftovers of killed pulls, loads and imports: the
// entries of tmp/ no process holds. It runs only when it gets the store
// lock at once (a command that waits for another to finish gains
// nothing by sweeping), and failure only costs disk space, so it is not
// reported.
func (s *Store) sweepTmp() {
	ents, err := os.ReadDir(s.tmpDir())
	if err != nil || len(ents) == 0 {
		return
	}
	f, err := os.OpenFile(filepath.Join(s.Root, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if flockRetry(f, unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(s.tmpDir(), e.Name())
		if e.IsDir() {
			if d, err := os.Open(p); err == nil {
				free := flockRetry(d, unix.LOCK_EX|unix.LOCK_NB) == nil
				d.Close()
				if free {
					s.removeAll(p)
				}
				continue
			}
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleAfter {
			s.removeAll(p)
		}
	}
}

func flockRetry(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

func (s *Store) imagesDir() string { return filepath.Join(s.Root, "images") }
func (s *Store) layersDir() string { return filepath.Join(s.Root, "layers", "sha256") }

// ContainersDir holds one directory per container the Docker front made:
// its layers record and, for a running one, its overlay.
func (s *Store) ContainersDir() string { return filepath.Join(s.Root, "containers") }
func (s *Store) tmpDir() string        { return filepath.Join(s.Root, "tmp") }

// lock takes the store-wide flock. Metadata changes (new image records,
// layers appearing or disappearing, container roots claiming layers) happen
// under LOCK_EX; reads need none because every file is replaced by rename.
// Mounting takes LOCK_SH so that rmi can't delete layers being mounted.
func (s *Store) lock(how int) (unlock func(), err error) {
	p := filepath.Join(s.Root, "lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock image store: open %s: %w", p, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock image store: flock %s: %w", p, err)
	}
	// Closing the file drops the lock.
	return func() { f.Close() }, nil
}

// writeJSON replaces path atomically and durably: the store's records
// outlive a crash.
func writeJSON(path string, v any) error {
	if err := atomicfile.WriteJSON(path, v, 0o644, true); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func readJSON(path string, v any) error { return atomicfile.ReadJSON(path, v) }

const (
	lockEx = unix.LOCK_EX
	lockSh = unix.LOCK_SH
)
