package docker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/internal/atomicfile"
	"github.com/minirun/minirun/internal/subid"
)

// Named volumes live in the image store, beside the containers that use
// them: STORE/volumes/NAME/_data is what a container sees, and
// STORE/volumes/NAME/volume.json what `volume inspect` shows. A volume is
// made whole in a hidden directory and renamed into place, and removed by
// a rename away first, so a killed command never leaves one that looks
// valid but is half made. STORE/volumes.lock orders the commands that
// change the set of volumes or decide one is unused: create, rm, prune
// and a run's first use of one (which fills it from the image).

// Volume is a volume as `docker volume inspect` shows it; its fields are
// in the order Docker prints them.
type Volume struct {
	CreatedAt  string
	Driver     string
	Labels     map[string]string
	Mountpoint string
	Name       string
	Options    map[string]string
	Scope      string
}

const (
	volumeFile    = "volume.json"
	volumeDataDir = "_data"
)

// validVolumeName is Docker's rule for a local volume's name: two
// characters at least, so "a" can't be taken for a relative path.
var validVolumeName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// CheckVolumeName refuses a name Docker's local driver would refuse.
func CheckVolumeName(name string) error {
	if !validVolumeName.MatchString(name) {
		return invalidf("volume name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, two characters at least", name)
	}
	return nil
}

// VolumesDir is where storeRoot keeps its volumes.
func VolumesDir(storeRoot string) string { return filepath.Join(storeRoot, "volumes") }

func volumeDir(storeRoot, name string) string { return filepath.Join(VolumesDir(storeRoot), name) }

// lockVolumes takes the store's volume lock, and with it clears what a
// killed create or rm left (hidden directories), since nobody else can be
// making or removing one now.
func lockVolumes(storeRoot string) (unlock func(), err error) {
	dir := VolumesDir(storeRoot)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("volumes: create %s: %w", dir, err)
	}
	p := filepath.Join(storeRoot, "volumes.lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("volumes: lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("volumes: lock %s: %w", p, err)
	}
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				_ = os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
	return func() { f.Close() }, nil
}

// CreateVolume makes volume name in storeRoot's store, or returns the one
// already there (as Docker's `volume create` of an existing name does).
// An empty name is a new 64-hex one. created says whether it is new.
func CreateVolume(storeRoot, name string, labels map[string]string) (v *Volume, created bool, err error) {
	unlock, err := lockVolumes(storeRoot)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	return createVolumeLocked(storeRoot, name, labels)
}

func createVolumeLocked(storeRoot, name string, labels map[string]string) (*Volume, bool, error) {
	if name == "" {
		id, err := NewID()
		if err != nil {
			return nil, false, err
		}
		name = id
	}
	if err := CheckVolumeName(name); err != nil {
		return nil, false, err
	}
	if v, err := LookupVolume(storeRoot, name); err == nil {
		return v, false, nil
	} else if !errors.Is(err, errdefs.ErrNotFound) {
		return nil, false, err
	}
	tmp, err := os.MkdirTemp(VolumesDir(storeRoot), ".new-")
	if err != nil {
		return nil, false, fmt.Errorf("volume create %s: %w", name, err)
	}
	fail := func(err error) (*Volume, bool, error) {
		os.RemoveAll(tmp)
		return nil, false, fmt.Errorf("volume create %s: %w", name, err)
	}
	// MkdirTemp made it 0700; the volume's own directory stays so (it is
	// the store's), its _data is what the container sees.
	if err := os.Mkdir(filepath.Join(tmp, volumeDataDir), 0o755); err != nil {
		return fail(err)
	}
	if err := os.Chmod(filepath.Join(tmp, volumeDataDir), 0o755); err != nil { // past the umask
		return fail(err)
	}
	if labels == nil {
		labels = map[string]string{}
	}
	v := &Volume{
		CreatedAt: time.Now().UTC().Format(time.RFC3339), Driver: "local", Labels: labels,
		Name: name, Scope: "local",
	}
	if err := atomicfile.WriteJSON(filepath.Join(tmp, volumeFile), v, 0o600, true); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, volumeDir(storeRoot, name)); err != nil {
		return fail(err)
	}
	v.Mountpoint = filepath.Join(volumeDir(storeRoot, name), volumeDataDir)
	return v, true, nil
}

// LookupVolume is volume name of storeRoot's store, for inspect; an
// unknown name is of class errdefs.ErrNotFound.
func LookupVolume(storeRoot, name string) (*Volume, error) {
	if CheckVolumeName(name) != nil {
		return nil, errdefs.New(errdefs.ErrNotFound, "no such volume: "+name)
	}
	var v Volume
	if err := atomicfile.ReadJSON(filepath.Join(volumeDir(storeRoot, name), volumeFile), &v); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errdefs.New(errdefs.ErrNotFound, "no such volume: "+name)
		}
		return nil, fmt.Errorf("volume %s: %w", name, err)
	}
	// Where it is now, should the store have moved.
	v.Name = name
	v.Mountpoint = filepath.Join(volumeDir(storeRoot, name), volumeDataDir)
	return &v, nil
}

// ListVolumes is every volume of storeRoot's store, by name.
func ListVolumes(storeRoot string) ([]*Volume, error) {
	ents, err := os.ReadDir(VolumesDir(storeRoot))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("volume ls: %w", err)
	}
	var out []*Volume
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || !e.IsDir() {
			continue
		}
		v, err := LookupVolume(storeRoot, e.Name())
		if err != nil {
			continue // not a volume: a directory someone else put there
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// VolumeUsers maps each volume name to the containers whose records name
// it, running or not: what makes a volume in use.
func VolumeUsers(storeRoot string) (map[string][]*Record, error) {
	dir := filepath.Join(storeRoot, "containers")
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("volumes: list containers: %w", err)
	}
	users := map[string][]*Record{}
	for _, e := range ents {
		var r Record
		if atomicfile.ReadJSON(filepath.Join(dir, e.Name(), recordFile), &r) != nil {
			continue
		}
		for _, m := range r.Mounts {
			if m.Type == "volume" && m.Name != "" {
				users[m.Name] = append(users[m.Name], &r)
			}
		}
	}
	return users, nil
}

// inUse is the refusal of removing a volume that rec uses.
func inUse(name string, rec *Record) error {
	who := rec.ID[:12]
	if rec.Name != "" {
		who += " (" + rec.Name + ")"
	}
	return invalidf("volume rm %s: volume is in use by container %s; remove the container first", name, who)
}

// RemoveVolume removes volume name and what it holds. A volume any
// container uses, running or stopped, stays; a missing one is of class
// errdefs.ErrNotFound.
func RemoveVolume(storeRoot, name string) error {
	unlock, err := lockVolumes(storeRoot)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := LookupVolume(storeRoot, name); err != nil {
		return err
	}
	users, err := VolumeUsers(storeRoot)
	if err != nil {
		return err
	}
	if u := users[name]; len(u) > 0 {
		return inUse(name, u[0])
	}
	return removeVolumeLocked(storeRoot, name)
}

// removeVolumeLocked renames the volume away first, so that it is gone
// at once even if the removal of its content is cut short.
func removeVolumeLocked(storeRoot, name string) error {
	gone := filepath.Join(VolumesDir(storeRoot), ".rm-"+name)
	if err := os.Rename(volumeDir(storeRoot, name), gone); err != nil {
		return fmt.Errorf("volume rm %s: %w", name, err)
	}
	if err := removeVolumeData(gone); err != nil {
		return fmt.Errorf("volume rm %s: %w", name, err)
	}
	return nil
}

// removeVolumeData removes a volume's directory. A rootless caller's
// volume may hold files of its subordinate ids (the image's copied up,
// or a container user's), which only its layers' user namespace may
// remove, as the store's layers.
func removeVolumeData(dir string) error {
	var m *subid.Maps
	if os.Geteuid() != 0 {
		m, _ = subid.ForCaller()
	}
	return image.RemoveShifted(m, dir)
}

// RemoveAnonymous removes those of the volumes names that a run made
// for itself (anonymousLabel) and no container's record names any more:
// what rm -v and run --rm take with the container, as Docker's. Named
// volumes stay.
func RemoveAnonymous(storeRoot string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	unlock, err := lockVolumes(storeRoot)
	if err != nil {
		return err
	}
	defer unlock()
	users, err := VolumeUsers(storeRoot)
	if err != nil {
		return err
	}
	for _, name := range names {
		v, err := LookupVolume(storeRoot, name)
		if err != nil {
			continue // never made, or gone already
		}
		if _, anon := v.Labels[anonymousLabel]; !anon || len(users[name]) > 0 {
			continue
		}
		if err := removeVolumeLocked(storeRoot, name); err != nil {
			return err
		}
	}
	return nil
}

// volumeNames are the volumes r's record names.
func volumeNames(r *Record) []string {
	var out []string
	for _, m := range r.Mounts {
		if m.Type == "volume" && m.Name != "" {
			out = append(out, m.Name)
		}
	}
	return out
}

// PruneVolumes removes every volume no container uses, and says which
// and how many bytes their files took.
func PruneVolumes(storeRoot string) (removed []string, reclaimed int64, err error) {
	unlock, err := lockVolumes(storeRoot)
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	vols, err := ListVolumes(storeRoot)
	if err != nil {
		return nil, 0, err
	}
	users, err := VolumeUsers(storeRoot)
	if err != nil {
		return nil, 0, err
	}
	for _, v := range vols {
		if len(users[v.Name]) > 0 {
			continue
		}
		size := diskUsage(v.Mountpoint)
		if err := removeVolumeLocked(storeRoot, v.Name); err != nil {
			return removed, reclaimed, err
		}
		removed = append(removed, v.Name)
		reclaimed += size
	}
	return removed, reclaimed, nil
}

// diskUsage is the size of the regular files below dir, each counted once.
func diskUsage(dir string) int64 {
	var n int64
	seen := map[[2]uint64]bool{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil {
			return nil
		}
		k := [2]uint64{st.Dev, st.Ino}
		if !seen[k] {
			seen[k] = true
			n += st.Blocks * 512
		}
		return nil
	})
	return n
}
