package docker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/minirun/minirun/errdefs"
)

func TestParseVolumeFlag(t *testing.T) {
	dir := t.TempDir()
	m, err := parseVolumeFlag(dir + ":/data:ro")
	if err != nil || m.Type != "bind" || m.Target != "/data" || m.Source != dir || !m.ReadOnly {
		t.Fatalf("%+v %v", m, err)
	}
	m, err = parseVolumeFlag("data:/x/:nocopy,ro")
	if err != nil || m.Type != "volume" || m.Source != "data" || m.Target != "/x" || !m.NoCopy || !m.ReadOnly {
		t.Fatalf("%+v %v", m, err)
	}
	// A lone destination is an anonymous volume, named later.
	m, err = parseVolumeFlag("/anon/")
	if err != nil || m.Type != "volume" || !m.Anonymous || m.Source != "" || m.Target != "/anon" {
		t.Fatalf("%+v %v", m, err)
	}
	for _, bad := range []string{"./rel:/data", dir + ":rel", dir + ":/d:rx", "onlyone", "/", "a:/x", "data:/", dir + ":/d:nocopy", "x:y:z:w"} {
		if _, err := parseVolumeFlag(bad); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", bad, err)
		}
	}
}

func TestParseMountFlag(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]mountReq{
		"type=bind,src=" + dir + ",dst=/d,readonly,bind-propagation=rslave":  {Type: "bind", Source: dir, Target: "/d", ReadOnly: true, Propagation: "rslave"},
		"source=data,target=/d,volume-nocopy,volume-label=a=b":               {Type: "volume", Source: "data", Target: "/d", NoCopy: true, Labels: map[string]string{"a": "b"}},
		`type=tmpfs,"destination=/t",tmpfs-size=1m,tmpfs-mode=1770,ro=false`: {Type: "tmpfs", Target: "/t", Tmpfs: []string{"noexec", "nosuid", "nodev", "size=1048576", "mode=1770"}},
	} {
		m, err := parseMountFlag(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		m.flag = ""
		if m.Type != want.Type || m.Source != want.Source || m.Target != want.Target || m.ReadOnly != want.ReadOnly ||
			m.Propagation != want.Propagation || m.NoCopy != want.NoCopy || strings.Join(m.Tmpfs, ",") != strings.Join(want.Tmpfs, ",") ||
			len(m.Labels) != len(want.Labels) {
			t.Errorf("%s: %+v, want %+v", in, m, want)
		}
	}
	for in, msg := range map[string]string{
		"type=bind,src=/nonexistent-minirun,dst=/d": "bind source path does not exist",
		"type=nfs,dst=/d":                   "unknown type",
		"dst=/d,color=red":                  `unknown key "color"`,
		"type=tmpfs,dst=/d,volume-nocopy":   "volume-nocopy is for type=volume",
		"type=volume,src=data":              "target is required",
		"type=volume,src=x,dst=/d":          "two characters",
		"type=tmpfs,src=x,dst=/d":           "takes no source",
		"type=bind,dst=/d":                  "source is required",
		"type=tmpfs,dst=d":                  "must be an absolute path",
		`type=bind,"src=/a`:                 "--mount",
		"type=tmpfs,dst=/d,tmpfs-size=lots": "tmpfs-size",
	} {
		_, err := parseMountFlag(in)
		if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", in, err, msg)
		}
	}
}

func TestParseTmpfsFlag(t *testing.T) {
	m, err := parseTmpfsFlag("/run:exec,size=1m,mode=700")
	if err != nil || m.Target != "/run" || strings.Join(m.Tmpfs, ",") != "nosuid,nodev,size=1m,mode=700" {
		t.Fatalf("%+v %v", m, err)
	}
	for _, bad := range []string{"run", "/run:bogus", "/run:size=", "/run:size=1x", "/run:mode=999", "/run:uid=me"} {
		if _, err := parseTmpfsFlag(bad); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// A duplicate mount point and a bad --shm-size are refused before anything.
func TestParseMountsRefusals(t *testing.T) {
	for _, o := range []RunOptions{
		{Volumes: []string{"data:/x"}, Tmpfs: []string{"/x"}},
		{ShmSize: "0"},
		{ShmSize: "big"},
	} {
		if _, err := parseMounts(&o); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// addMounts: --shm-size sizes /dev/shm, a tmpfs on a default's path
// replaces it, and parents come before children.
func TestAddMounts(t *testing.T) {
	s := BaseSpec()
	o := &RunOptions{ShmSize: "128m", Tmpfs: []string{"/dev/mqueue", "/a/b"}, Mounts: []string{"type=tmpfs,dst=/a"}}
	if err := addMounts(s, Container{}, o); err != nil {
		t.Fatal(err)
	}
	var dests []string
	for _, m := range s.Mounts {
		dests = append(dests, m.Destination)
		if m.Destination == "/dev/shm" && !strings.Contains(strings.Join(m.Options, ","), "size=131072k") {
			t.Errorf("/dev/shm: %v", m.Options)
		}
		if m.Destination == "/dev/mqueue" && m.Type != "tmpfs" {
			t.Errorf("/dev/mqueue kept the default: %+v", m)
		}
	}
	if strings.Count(strings.Join(dests, " "), "/dev/mqueue") != 1 || indexOf(dests, "/a") > indexOf(dests, "/a/b") {
		t.Errorf("mounts: %v", dests)
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// The volume store: create, look up, list, in use, remove, prune.
func TestVolumeStore(t *testing.T) {
	root := t.TempDir()
	v, created, err := CreateVolume(root, "data", map[string]string{"k": "v"})
	if err != nil || !created || v.Driver != "local" || v.Scope != "local" || v.Mountpoint != filepath.Join(root, "volumes", "data", "_data") {
		t.Fatalf("%+v %v %v", v, created, err)
	}
	if _, created, err := CreateVolume(root, "data", nil); err != nil || created {
		t.Fatalf("again: %v %v", created, err)
	}
	anon, _, err := CreateVolume(root, "", nil)
	if err != nil || len(anon.Name) != 64 {
		t.Fatalf("%+v %v", anon, err)
	}
	if _, _, err := CreateVolume(root, "-x", nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
	id := strings.Repeat("ab", 32)
	os.MkdirAll(filepath.Join(root, "containers", id), 0o700)
	if err := (Record{ID: id, Name: "web", Mounts: []MountPoint{{Type: "volume", Name: "data"}}}).Save(filepath.Join(root, "containers", id)); err != nil {
		t.Fatal(err)
	}
	err = RemoveVolume(root, "data")
	if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), "in use by container abababababab (web)") {
		t.Fatalf("rm in use: %v", err)
	}
	removed, _, err := PruneVolumes(root)
	if err != nil || len(removed) != 1 || removed[0] != anon.Name {
		t.Fatalf("prune: %v %v", removed, err)
	}
	os.RemoveAll(filepath.Join(root, "containers", id))
	if err := RemoveVolume(root, "data"); err != nil {
		t.Fatal(err)
	}
	if _, err := LookupVolume(root, "data"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("after rm: %v", err)
	}
	if vs, err := ListVolumes(root); err != nil || len(vs) != 0 {
		t.Fatalf("left: %v %v", vs, err)
	}
}

// copyUp fills an empty volume from the image, resolving the target in
// the image's root and copying symlinks as links; a full volume is kept.
func TestCopyUp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("copyUp keeps owners: needs root")
	}
	rootfs, host := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(host, "secret"), []byte("host"), 0o600)
	os.MkdirAll(filepath.Join(rootfs, "real", "sub"), 0o750)
	os.WriteFile(filepath.Join(rootfs, "real", "sub", "f"), []byte("image"), 0o640)
	os.Chown(filepath.Join(rootfs, "real", "sub", "f"), 123, 456)
	os.Symlink(host, filepath.Join(rootfs, "real", "out")) // absolute, to a host dir
	os.Link(filepath.Join(rootfs, "real", "sub", "f"), filepath.Join(rootfs, "real", "hard"))
	os.Symlink("/real", filepath.Join(rootfs, "link")) // the target itself a link
	os.Symlink(host, filepath.Join(rootfs, "escape"))  // resolves to rootfs+host: missing
	vol := t.TempDir()
	if err := copyUp(rootfs, "/link", vol); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(vol, "sub", "f")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 123 || fi.Sys().(*syscall.Stat_t).Gid != 456 || fi.Mode().Perm() != 0o640 {
		t.Fatalf("owner or mode not kept: %v %v", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "sub", "f")); err != nil || string(b) != "image" {
		t.Fatalf("copied file: %q %v", b, err)
	}
	a, _ := os.Stat(filepath.Join(vol, "sub", "f"))
	b, _ := os.Stat(filepath.Join(vol, "hard"))
	if a == nil || b == nil || !os.SameFile(a, b) {
		t.Errorf("the hard link was not kept: %v %v", a, b)
	}
	if fi, err := os.Lstat(filepath.Join(vol, "out")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was not kept a symlink: %v %v", fi, err)
	}
	if fi, _ := os.Stat(filepath.Join(vol, "sub")); fi == nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("mode: %v", fi)
	}
	vol2 := t.TempDir()
	if err := copyUp(rootfs, "/escape", vol2); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(vol2); len(ents) != 0 {
		t.Fatalf("the host's files came in: %v", ents)
	}
	if err := copyUp(rootfs, "/real", vol); err != nil { // not empty: kept
		t.Fatal(err)
	}
}
