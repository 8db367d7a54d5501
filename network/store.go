package network

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/atomicfile"
)

// Network is one network's record. Only bridge networks exist: the
// default one, named "bridge" as Docker's, and those `network create`
// makes.
type Network struct {
	Name     string
	ID       string
	Driver   string
	Subnet   string
	Gateway  string
	Bridge   string            // the host's bridge interface
	Internal bool              `json:",omitempty"`
	Labels   map[string]string `json:",omitempty"`
	Created  time.Time
}

// DefaultName is the network a root container joins unless told
// otherwise. As on Docker's default bridge, its members get no names.
const DefaultName = "bridge"

// The default network's addresses: not Docker's 172.17/16 nor podman's
// 10.88/16, so minirun can run on a host that has either.
const (
	defaultSubnet = "10.87.0.0/16"
	defaultBridge = "minirun0"
	// User networks get a /24 each from here, in order.
	userPool = "10.86.%d.0/24"
)

// Names and ids are used as file names under Store.Dir.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Store holds the networks' records and their plugins' state.
type Store struct {
	Dir string
}

// Open opens (creating) the networks directory, dir.
func Open(dir string) (*Store, error) {
	for _, d := range []string{"", "defs", "members", "containers", "ipam", "cache"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("network store %s: %w", dir, err)
		}
	}
	return &Store{Dir: dir}, nil
}

// lock serialises every change to the networks and their members, across
// processes: a start, a teardown and `network rm` see one another whole.
func (s *Store) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.Dir, ".lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func (s *Store) defPath(name string) string { return filepath.Join(s.Dir, "defs", name+".json") }

// CreateOptions is `network create`'s.
type CreateOptions struct {
	Name, Subnet, Gateway string
	Internal              bool
	Labels                map[string]string
}

// Create makes a bridge network. Without a subnet it takes the next free
// /24 of the user pool.
func (s *Store) Create(o CreateOptions) (*Network, error) {
	if !validName.MatchString(o.Name) {
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("network create: name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o.Name))
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.create(o)
}

func (s *Store) create(o CreateOptions) (*Network, error) {
	nets, err := s.list()
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		if n.Name == o.Name {
			return nil, errdefs.New(errdefs.ErrExists, fmt.Sprintf("network create: network with name %s already exists", o.Name))
		}
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	n := &Network{Name: o.Name, ID: hex.EncodeToString(id), Driver: "bridge", Internal: o.Internal, Labels: o.Labels, Created: time.Now().UTC()}
	n.Bridge = "mr-" + n.ID[:12]
	if o.Name == DefaultName {
		n.Bridge = defaultBridge
		if o.Subnet == "" {
			o.Subnet = defaultSubnet
		}
	}
	if o.Subnet == "" {
		if o.Subnet, err = freeSubnet(nets); err != nil {
			return nil, err
		}
	}
	_, ipn, err := net.ParseCIDR(o.Subnet)
	if err != nil || ipn.IP.To4() == nil {
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("network create %s: --subnet %q is not an IPv4 CIDR", o.Name, o.Subnet))
	}
	for _, other := range nets {
		if _, on, err := net.ParseCIDR(other.Subnet); err == nil && (on.Contains(ipn.IP) || ipn.Contains(on.IP)) {
			return nil, errdefs.New(errdefs.ErrExists, fmt.Sprintf("network create %s: subnet %s overlaps network %s's %s", o.Name, ipn, other.Name, other.Subnet))
		}
	}
	n.Subnet = ipn.String()
	if o.Gateway == "" {
		gw := append(net.IP(nil), ipn.IP.To4()...)
		gw[3]++
		o.Gateway = gw.String()
	}
	if gw := net.ParseIP(o.Gateway); gw == nil || !ipn.Contains(gw) {
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("network create %s: --gateway %q is not an address in %s", o.Name, o.Gateway, ipn))
	}
	n.Gateway = o.Gateway
	if err := atomicfile.WriteJSON(s.defPath(n.Name), n, 0o600, false); err != nil {
		return nil, fmt.Errorf("network create %s: %w", n.Name, err)
	}
	return n, nil
}

func freeSubnet(nets []*Network) (string, error) {
	for i := 1; i < 255; i++ {
		cand := fmt.Sprintf(userPool, i)
		_, c, _ := net.ParseCIDR(cand)
		free := true
		for _, n := range nets {
			if _, on, err := net.ParseCIDR(n.Subnet); err == nil && (on.Contains(c.IP) || c.Contains(on.IP)) {
				free = false
				break
			}
		}
		if free {
			return cand, nil
		}
	}
	return "", errors.New("network create: the pool 10.86.0.0/16 has no free /24 left; give --subnet")
}

// Get finds a network by name, full id or id prefix. The default network
// is made on first use.
func (s *Store) Get(ref string) (*Network, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.get(ref)
}

func (s *Store) get(ref string) (*Network, error) {
	nets, err := s.list()
	if err != nil {
		return nil, err
	}
	var found []*Network
	for _, n := range nets {
		if n.Name == ref || n.ID == ref {
			return n, nil
		}
		if ref != "" && strings.HasPrefix(n.ID, ref) {
			found = append(found, n)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("network %s is ambiguous (%d matches)", ref, len(found)))
	case ref == DefaultName:
		return s.create(CreateOptions{Name: DefaultName})
	}
	return nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("network %s not found", ref))
}

// List gives every network, by name.
func (s *Store) List() ([]*Network, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := s.get(DefaultName); err != nil {
		return nil, err
	}
	return s.list()
}

func (s *Store) list() ([]*Network, error) {
	ents, err := os.ReadDir(filepath.Join(s.Dir, "defs"))
	if err != nil {
		return nil, err
	}
	var out []*Network
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		var n Network
		if err := atomicfile.ReadJSON(filepath.Join(s.Dir, "defs", e.Name()), &n); err != nil {
			return nil, fmt.Errorf("network %s: %w", strings.TrimSuffix(e.Name(), ".json"), err)
		}
		out = append(out, &n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove removes a network no container is on. The default one stays.
func (s *Store) Remove(ref string) (*Network, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	n, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	if n.Name == DefaultName {
		return nil, errdefs.New(errdefs.ErrInvalid, "network rm bridge: the default network can't be removed")
	}
	ms, err := s.members(n.Name)
	if err != nil {
		return nil, err
	}
	if len(ms) > 0 {
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = shortID(m.ContainerID)
		}
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("network rm %s: in use by container %s", n.Name, strings.Join(ids, ", ")))
	}
	// The bridge interface outlives its last member (the bridge plugin
	// keeps it), so it goes with the network.
	n.removeRules()
	deleteLink(n.Bridge)
	os.RemoveAll(filepath.Join(s.Dir, "members", n.Name))
	os.RemoveAll(filepath.Join(s.Dir, "ipam", n.Name))
	if err := os.Remove(s.defPath(n.Name)); err != nil {
		return nil, fmt.Errorf("network rm %s: %w", n.Name, err)
	}
	return n, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// memberFile is one container on one network, for /etc/hosts and for
// the checks of rm and -p.
type Member struct {
	ContainerID string
	Name        string   `json:",omitempty"`
	Aliases     []string `json:",omitempty"`
	Hostname    string
	IP          string
	MAC         string        `json:",omitempty"`
	Ports       []PortMapping `json:",omitempty"`
	// HostsFile is the container's /etc/hosts as the host sees it, and
	// BaseHosts its fixed part; peers are appended below it.
	HostsFile string
	BaseHosts string
}

func (s *Store) memberPath(netName, id string) string {
	return filepath.Join(s.Dir, "members", netName, id+".json")
}

func (s *Store) members(netName string) ([]*Member, error) {
	dir := filepath.Join(s.Dir, "members", netName)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Member
	for _, e := range ents {
		var m Member
		if atomicfile.ReadJSON(filepath.Join(dir, e.Name()), &m) == nil {
			out = append(out, &m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ContainerID < out[j].ContainerID })
	return out, nil
}

// Members lists the containers on a network.
func (s *Store) Members(netName string) ([]*Member, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.members(netName)
}

// takenPorts is every host port a member of any network publishes.
func (s *Store) takenPorts() (map[string]bool, error) {
	nets, err := s.list()
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, n := range nets {
		ms, err := s.members(n.Name)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			for _, p := range m.Ports {
				taken[fmt.Sprintf("%s/%d", p.Protocol, p.HostPort)] = true
			}
		}
	}
	return taken, nil
}

// rewriteHosts writes the /etc/hosts of every member of netName again:
// its fixed part, then each peer on each user network it is on. The file
// is rewritten in place, not replaced, because the container sees it
// through a bind mount of that very inode.
func (s *Store) rewriteHosts(netName string) error {
	ms, err := s.members(netName)
	if err != nil {
		return err
	}
	for _, m := range ms {
		var b strings.Builder
		b.WriteString(m.BaseHosts)
		for _, net := range s.netsOf(m.ContainerID) {
			if net == DefaultName {
				continue // as Docker's default bridge: no names
			}
			peers, _ := s.members(net)
			for _, p := range peers {
				if p.ContainerID == m.ContainerID {
					continue
				}
				names := append([]string{}, p.Aliases...)
				if p.Name != "" {
					names = append([]string{p.Name}, names...)
				}
				names = append(names, shortID(p.ContainerID))
				fmt.Fprintf(&b, "%s\t%s\n", p.IP, strings.Join(names, " "))
			}
		}
		if m.HostsFile == "" {
			continue
		}
		// One write after the truncate, so a reader sees the old file,
		// nothing, or the new one whole.
		f, err := os.OpenFile(m.HostsFile, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			continue // its container is on its way out
		}
		_, err = f.WriteString(b.String())
		f.Close()
		if err != nil {
			return fmt.Errorf("hosts of %s: %w", shortID(m.ContainerID), err)
		}
	}
	return nil
}

// netsOf names the networks a container is on, from its attachment record.
func (s *Store) netsOf(id string) []string {
	var st State
	if atomicfile.ReadJSON(s.statePath(id), &st) != nil {
		return nil
	}
	var out []string
	for _, a := range st.Attachments {
		out = append(out, a.Network)
	}
	return out
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600, false)
}
