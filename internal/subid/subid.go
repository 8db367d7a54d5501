// Package subid reads a user's subordinate id ranges (/etc/subuid and
// /etc/subgid) and builds the user namespace maps a rootless caller may
// have written by newuidmap and newgidmap: its own id as 0, the first
// subordinate range from 1 on. The container's user namespace and the
// one the image store unpacks layers in get the same maps, so a file that
// uid N owns in a layer is owned by uid N inside the container.
package subid

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Maps are the uid and gid maps of a user namespace.
type Maps struct {
	UIDs, GIDs []specs.LinuxIDMapping
}

// String is the maps in newuidmap's argument order, "uids;gids", each
// "inside:outside:size" comma-separated: what a layer records it was
// unpacked with.
func (m *Maps) String() string {
	if m == nil {
		return ""
	}
	f := func(ms []specs.LinuxIDMapping) string {
		var parts []string
		for _, x := range ms {
			parts = append(parts, fmt.Sprintf("%d:%d:%d", x.ContainerID, x.HostID, x.Size))
		}
		return strings.Join(parts, ",")
	}
	return f(m.UIDs) + ";" + f(m.GIDs)
}

// ToContainer is the ids inside for host ids uid and gid: the inverse of
// the maps, with 0 for an id they do not map. A rootfs directory the
// caller imports holds its own files and ones of its subordinate ids,
// which become 0 and the ids they map to; anyone else's (root's, when
// root made the directory) become 0 too, as every file does with the
// single mapping.
func (m *Maps) ToContainer(uid, gid int) (int, int) {
	return inside(m.UIDs, uid), inside(m.GIDs, gid)
}

func inside(ms []specs.LinuxIDMapping, h int) int {
	for _, x := range ms {
		if h >= int(x.HostID) && h < int(x.HostID)+int(x.Size) {
			return int(x.ContainerID) + h - int(x.HostID)
		}
	}
	return 0
}

// Range is one line of /etc/subuid or /etc/subgid.
type Range struct {
	Start, Size uint32
}

// parse finds the first range of the user called name, or numbered id (a
// line may use either), in r.
func parse(r io.Reader, name string, id int) (Range, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 3 || (f[0] != name && f[0] != strconv.Itoa(id)) {
			continue
		}
		start, err1 := strconv.ParseUint(f[1], 10, 32)
		size, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || size == 0 {
			continue
		}
		return Range{uint32(start), uint32(size)}, true
	}
	return Range{}, false
}

// Files are where the ranges are read; variables for the unit tests.
var (
	SubUIDFile = "/etc/subuid"
	SubGIDFile = "/etc/subgid"
)

// ForCaller is the maps for the calling user: its uid and gid as 0, its
// first subordinate uid and gid ranges from 1. ok is false when it has no
// range in either file or newuidmap/newgidmap are missing: then only a
// single mapping of its own ids is possible.
func ForCaller() (m *Maps, ok bool) {
	uid, gid := os.Geteuid(), os.Getegid()
	name := ""
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = u.Username
	}
	ranges := [2]Range{}
	for i, f := range []string{SubUIDFile, SubGIDFile} {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, false
		}
		r, found := parse(bytes.NewReader(data), name, uid)
		if !found {
			return nil, false
		}
		ranges[i] = r
	}
	for _, h := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(h); err != nil {
			return nil, false
		}
	}
	return Build(uid, gid, ranges[0], ranges[1]), true
}

// Build is the maps of caller uid and gid with ranges su and sg.
func Build(uid, gid int, su, sg Range) *Maps {
	return &Maps{
		UIDs: []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(uid), Size: 1}, {ContainerID: 1, HostID: su.Start, Size: su.Size}},
		GIDs: []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(gid), Size: 1}, {ContainerID: 1, HostID: sg.Start, Size: sg.Size}},
	}
}

// Write runs newuidmap and newgidmap on pid, whose user namespace has no
// maps yet. They check each range against /etc/subuid and /etc/subgid.
func (m *Maps) Write(pid int) error {
	for _, h := range []struct {
		tool string
		ms   []specs.LinuxIDMapping
	}{{"newuidmap", m.UIDs}, {"newgidmap", m.GIDs}} {
		args := []string{strconv.Itoa(pid)}
		for _, x := range h.ms {
			args = append(args, strconv.FormatUint(uint64(x.ContainerID), 10), strconv.FormatUint(uint64(x.HostID), 10), strconv.FormatUint(uint64(x.Size), 10))
		}
		var out bytes.Buffer
		cmd := exec.Command(h.tool, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %v: %s", h.tool, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
		}
	}
	return nil
}
