package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/atomicfile"
)

// PluginDirs are where the CNI plugins are looked for: Debian's package,
// then the upstream default.
var PluginDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// NetnsDir holds the network namespaces of running containers.
var NetnsDir = "/run/minirun/netns"

const cniVersion = "1.0.0"

// Request is what a container asks of its networks.
type Request struct {
	ContainerID string
	Name        string // the container's name, for its peers
	Hostname    string
	// Networks to join, in order; the first is eth0 and holds the
	// default route.
	Networks []string
	Aliases  []string // --network-alias, on user networks
	IP, MAC  string   // --ip, --mac-address, on the first network
	Ports    []PortMapping
	// HostsFile is the container's /etc/hosts on the host; AddHosts are
	// --add-host's NAME, IP pairs.
	HostsFile string
	AddHosts  [][2]string
}

// Attachment is one network a container is on.
type Attachment struct {
	Network string
	IfName  string
	IP      string
	Prefix  int
	Gateway string
	MAC     string
	// The optional plugins its chain had (confList), for the teardown to
	// run the same chain.
	PortMap bool `json:",omitempty"`
	Tuning  bool `json:",omitempty"`
	// NetRules: NAT and forwarding came from the network's own rules
	// (rules.go), not the bridge plugin's ipMasq and the firewall plugin.
	NetRules bool `json:",omitempty"`
}

// State is what Begin and Finish did for one container, kept so that any later
// process (the front after Wait, rm -f, the reaper of a killed minirun)
// can undo it without the process that did it.
type State struct {
	ContainerID string
	Netns       string
	Attachments []Attachment
	Ports       []PortMapping `json:",omitempty"`
}

func (s *Store) statePath(id string) string {
	return filepath.Join(s.Dir, "containers", id+".json")
}

// Load reads a container's network state; nil when it has none.
func (s *Store) Load(id string) (*State, error) {
	var st State
	if err := atomicfile.ReadJSON(s.statePath(id), &st); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return &st, nil
}

func (s *Store) cni() *libcni.CNIConfig {
	return libcni.NewCNIConfigWithCacheDir(PluginDirs, filepath.Join(s.Dir, "cache"), nil)
}

// confList is n's CNI configuration: the bridge with host-local
// addresses, and the firewall rules that let the bridge's traffic
// through a host whose FORWARD policy drops; the port mapper only for a
// container that publishes ports, and tuning only for --mac-address.
// Each plugin is a process started for ADD and again for DEL, the most
// of what a network costs a run, so none runs for nothing. It is
// derived from the record each time, with the attachment saying which
// plugins its ADD had, so the teardown runs exactly the same chain.
func (s *Store) confList(n *Network, a Attachment) (*libcni.NetworkConfigList, error) {
	ipam := map[string]any{
		"type":    "host-local",
		"ranges":  [][]map[string]string{{{"subnet": n.Subnet, "gateway": n.Gateway}}},
		"dataDir": filepath.Join(s.Dir, "ipam"),
	}
	if !n.Internal {
		ipam["routes"] = []map[string]string{{"dst": "0.0.0.0/0"}}
	}
	plugins := []map[string]any{
		// --ip: libcni hands a capability only to a plugin of the list
		// that declares it; the bridge passes its config, runtimeConfig
		// and all, on to host-local.
		{"type": "bridge", "bridge": n.Bridge, "isGateway": true, "ipMasq": !n.Internal && !a.NetRules, "hairpinMode": true, "ipam": ipam,
			"capabilities": map[string]bool{"ips": true}},
	}
	if a.PortMap {
		plugins = append(plugins, map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true})
	}
	if !a.NetRules {
		plugins = append(plugins, map[string]any{"type": "firewall", "backend": "iptables"})
	}
	if a.Tuning {
		plugins = append(plugins, map[string]any{"type": "tuning", "capabilities": map[string]bool{"mac": true}})
	}
	b, err := json.Marshal(map[string]any{"cniVersion": cniVersion, "name": n.Name, "plugins": plugins})
	if err != nil {
		return nil, err
	}
	return libcni.ConfListFromBytes(b)
}

// Pending is a container's network set-up that Begin started and Finish
// completes. Between the two the container's namespace exists, empty but
// for lo, and the store's lock is held.
type Pending struct {
	s      *Store
	ctx    context.Context
	r      Request
	nets   []*Network
	st     *State
	unlock func()
}

// Begin starts the set-up of a container's network: it checks the
// networks and the ports and makes the namespace, whose path is Netns(),
// for the spec to join. The plugins, the slow half (each one a process),
// are Finish's, so that a caller can run them while the container's init
// gets ready in that namespace. Finish must follow a Begin that
// succeeded; on failure nothing is left.
func (s *Store) Begin(ctx context.Context, r Request) (_ *Pending, err error) {
	if len(r.Networks) == 0 {
		return nil, errors.New("network setup: no network")
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, fmt.Errorf("network setup: %w", err)
	}
	p := &Pending{s: s, ctx: ctx, r: r, unlock: unlock, nets: make([]*Network, len(r.Networks))}
	defer func() {
		if err != nil {
			if p.st != nil {
				s.teardown(context.WithoutCancel(ctx), p.st)
			}
			unlock()
		}
	}()
	for i, ref := range r.Networks {
		if p.nets[i], err = s.get(ref); err != nil {
			return nil, err
		}
	}
	taken, err := s.takenPorts()
	if err != nil {
		return nil, err
	}
	ports := append([]PortMapping(nil), r.Ports...)
	if err := reserve(ports, taken); err != nil {
		return nil, errdefs.New(errdefs.ErrInvalid, "network setup: "+err.Error())
	}
	st := &State{ContainerID: r.ContainerID, Netns: filepath.Join(NetnsDir, r.ContainerID), Ports: ports}
	// The state is written before each step, so a teardown after a crash
	// halfway finds what to undo.
	if err := writeJSON(s.statePath(r.ContainerID), st); err != nil {
		return nil, fmt.Errorf("network setup: %w", err)
	}
	p.st = st
	if err := NewNetns(st.Netns); err != nil {
		return nil, fmt.Errorf("network setup: %w", err)
	}
	return p, nil
}

// Netns is the path of the namespace Begin made.
func (p *Pending) Netns() string { return p.st.Netns }

// Finish completes the set-up: the plugins join the namespace to each
// network, and the hosts files are written. It lets go of the store's
// lock; on failure it undoes what Begin did too.
func (p *Pending) Finish() (st *State, err error) {
	s, ctx, r, st := p.s, p.ctx, p.r, p.st
	defer p.unlock()
	var fresh []string // bridges whose rules this set-up put in
	defer func() {
		if err != nil {
			s.teardown(context.WithoutCancel(ctx), st)
			for _, b := range fresh {
				dropPortlessBridge(b)
			}
		}
	}()
	ports := st.Ports
	c := s.cni()
	for i, n := range p.nets {
		a := Attachment{Network: n.Name, IfName: fmt.Sprintf("eth%d", i), PortMap: i == 0 && len(ports) > 0, Tuning: i == 0 && r.MAC != "", NetRules: true}
		mark, err := n.ensureRules()
		if err != nil {
			return st, fmt.Errorf("network setup: %w", err)
		}
		if mark {
			fresh = append(fresh, n.Bridge)
		}
		st.Attachments = append(st.Attachments, a)
		if err := writeJSON(s.statePath(r.ContainerID), st); err != nil {
			return st, fmt.Errorf("network setup: %w", err)
		}
		rt := &libcni.RuntimeConf{ContainerID: r.ContainerID, NetNS: st.Netns, IfName: a.IfName, CapabilityArgs: map[string]any{}}
		if i == 0 {
			if len(ports) > 0 {
				rt.CapabilityArgs["portMappings"] = ports
			}
			if r.IP != "" {
				rt.CapabilityArgs["ips"] = []string{r.IP}
			}
			if r.MAC != "" {
				rt.CapabilityArgs["mac"] = r.MAC
			}
		}
		list, err := s.confList(n, a)
		if err != nil {
			return st, err
		}
		res, err := c.AddNetworkList(ctx, list, rt)
		if err != nil {
			return st, fmt.Errorf("network setup: network %s: %w", n.Name, err)
		}
		if err := fillAttachment(&st.Attachments[i], res); err != nil {
			return st, fmt.Errorf("network setup: network %s: %w", n.Name, err)
		}
		if mark { // the bridge exists now
			n.markRules()
		}
	}
	if err := writeJSON(s.statePath(r.ContainerID), st); err != nil {
		return st, fmt.Errorf("network setup: %w", err)
	}
	base := BaseHosts(r.Hostname, st.Attachments[0].IP, r.AddHosts)
	for i, a := range st.Attachments {
		m := Member{ContainerID: r.ContainerID, Name: r.Name, Hostname: r.Hostname, IP: a.IP, MAC: a.MAC, HostsFile: r.HostsFile, BaseHosts: base}
		if a.Network != DefaultName {
			m.Aliases = r.Aliases
		}
		if i == 0 {
			m.Ports = ports
		}
		if err := writeJSON(s.memberPath(a.Network, r.ContainerID), m); err != nil {
			return st, fmt.Errorf("network setup: %w", err)
		}
	}
	if r.HostsFile != "" {
		if err := os.WriteFile(r.HostsFile, []byte(base), 0o644); err != nil {
			return st, fmt.Errorf("network setup: %w", err)
		}
	}
	for _, a := range st.Attachments {
		if err := s.rewriteHosts(a.Network); err != nil {
			return st, fmt.Errorf("network setup: %w", err)
		}
	}
	return st, nil
}

func fillAttachment(a *Attachment, res types.Result) error {
	conv, err := types100.GetResult(res)
	if err != nil {
		return err
	}
	for _, ip := range conv.IPs {
		if ip.Address.IP.To4() == nil {
			continue
		}
		a.IP = ip.Address.IP.String()
		a.Prefix, _ = ip.Address.Mask.Size()
		if ip.Gateway != nil {
			a.Gateway = ip.Gateway.String()
		}
		if ip.Interface != nil && *ip.Interface < len(conv.Interfaces) {
			a.MAC = conv.Interfaces[*ip.Interface].Mac
		}
		return nil
	}
	return errors.New("the plugins gave no IPv4 address")
}

// Teardown undoes Begin and Finish for container id, from its kept state, whoever
// calls it and however often: a container with no network state has
// nothing to undo.
func (s *Store) Teardown(ctx context.Context, id string) error {
	unlock, err := s.lock()
	if err != nil {
		return fmt.Errorf("network teardown: %w", err)
	}
	defer unlock()
	st, err := s.Load(id)
	if err != nil || st == nil {
		s.removeTemps(id)
		return err
	}
	return s.teardown(ctx, st)
}

// removeTemps removes what a write cut short by SIGKILL leaves beside
// container id's records: atomicfile writes a temporary, then renames it.
func (s *Store) removeTemps(id string) {
	tmps, _ := filepath.Glob(filepath.Join(s.Dir, "containers", "."+id+".json.tmp-*"))
	more, _ := filepath.Glob(filepath.Join(s.Dir, "members", "*", "."+id+".json.tmp-*"))
	for _, t := range append(tmps, more...) {
		os.Remove(t)
	}
}

func (s *Store) teardown(ctx context.Context, st *State) error {
	var errs []error
	c := s.cni()
	haveNetns := exists(st.Netns)
	for _, a := range st.Attachments {
		n, err := s.get(a.Network)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		list, err := s.confList(n, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rt := &libcni.RuntimeConf{ContainerID: st.ContainerID, IfName: a.IfName, CapabilityArgs: map[string]any{}}
		if haveNetns {
			rt.NetNS = st.Netns
		}
		if len(st.Ports) > 0 && a.IfName == "eth0" {
			rt.CapabilityArgs["portMappings"] = st.Ports
		}
		// DEL must succeed without the namespace (CNI's rule), so the
		// lease, the NAT rules and the host's veth end go even then.
		if err := c.DelNetworkList(ctx, list, rt); err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", a.Network, err))
		}
		os.Remove(s.memberPath(a.Network, st.ContainerID))
	}
	if err := RemoveNetns(st.Netns); err != nil {
		errs = append(errs, err)
	}
	for _, a := range st.Attachments {
		s.rewriteHosts(a.Network)
	}
	if len(errs) == 0 {
		os.Remove(s.statePath(st.ContainerID))
		s.removeTemps(st.ContainerID)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("network teardown %s: %w", shortID(st.ContainerID), err)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// deleteLink removes a network's bridge from the host when the network
// goes, best effort: down, then the bridge ioctl, which needs no netlink.
func deleteLink(name string) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return
	}
	if unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr) == nil {
		ifr.SetUint16(ifr.Uint16() &^ unix.IFF_UP)
		_ = unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
	}
	name0 := append([]byte(name), 0)
	_, _, _ = unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCBRDELBR, uintptr(unsafe.Pointer(&name0[0])))
}

// Connect joins a running container to one more network, as the next
// ethN; its peers there learn its names.
func (s *Store) Connect(ctx context.Context, id, ref string, aliases []string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.Load(id)
	if err != nil {
		return err
	}
	if st == nil || !exists(st.Netns) {
		return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("network connect: container %s has no network of its own (none, host or container:)", shortID(id)))
	}
	n, err := s.get(ref)
	if err != nil {
		return err
	}
	var tmpl *Member
	used := map[string]bool{}
	for _, a := range st.Attachments {
		if a.Network == n.Name {
			return errdefs.New(errdefs.ErrExists, fmt.Sprintf("network connect: container %s is already on network %s", shortID(id), n.Name))
		}
		used[a.IfName] = true
		if tmpl == nil {
			var m Member
			if atomicfile.ReadJSON(s.memberPath(a.Network, id), &m) == nil {
				tmpl = &m
			}
		}
	}
	if tmpl == nil {
		tmpl = &Member{ContainerID: id}
	}
	mark, err := n.ensureRules()
	if err != nil {
		return fmt.Errorf("network connect: %w", err)
	}
	a := Attachment{Network: n.Name, NetRules: true}
	for i := 0; ; i++ {
		if a.IfName = fmt.Sprintf("eth%d", i); !used[a.IfName] {
			break
		}
	}
	list, err := s.confList(n, a)
	if err != nil {
		return err
	}
	st.Attachments = append(st.Attachments, a)
	if err := writeJSON(s.statePath(id), st); err != nil {
		return err
	}
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: st.Netns, IfName: a.IfName}
	res, err := s.cni().AddNetworkList(ctx, list, rt)
	if err == nil {
		err = fillAttachment(&st.Attachments[len(st.Attachments)-1], res)
	}
	if err != nil {
		_ = s.cni().DelNetworkList(context.WithoutCancel(ctx), list, rt)
		if mark {
			dropPortlessBridge(n.Bridge)
		}
		st.Attachments = st.Attachments[:len(st.Attachments)-1]
		_ = writeJSON(s.statePath(id), st)
		return fmt.Errorf("network connect %s: %w", n.Name, err)
	}
	if mark {
		n.markRules()
	}
	if err := writeJSON(s.statePath(id), st); err != nil {
		return err
	}
	m := *tmpl
	m.IP, m.MAC, m.Ports, m.Aliases = st.Attachments[len(st.Attachments)-1].IP, st.Attachments[len(st.Attachments)-1].MAC, nil, aliases
	if err := writeJSON(s.memberPath(n.Name, id), m); err != nil {
		return err
	}
	for _, a := range st.Attachments {
		_ = s.rewriteHosts(a.Network)
	}
	return nil
}

// Disconnect takes a container off one network.
func (s *Store) Disconnect(ctx context.Context, id, ref string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.Load(id)
	if err != nil {
		return err
	}
	n, err := s.get(ref)
	if err != nil {
		return err
	}
	idx := -1
	if st != nil {
		for i, a := range st.Attachments {
			if a.Network == n.Name {
				idx = i
			}
		}
	}
	if idx < 0 {
		return errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("network disconnect: container %s is not on network %s", shortID(id), n.Name))
	}
	a := st.Attachments[idx]
	list, err := s.confList(n, a)
	if err != nil {
		return err
	}
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: st.Netns, IfName: a.IfName, CapabilityArgs: map[string]any{}}
	if a.IfName == "eth0" && len(st.Ports) > 0 {
		rt.CapabilityArgs["portMappings"] = st.Ports
	}
	if err := s.cni().DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("network disconnect %s: %w", n.Name, err)
	}
	if a.IfName == "eth0" {
		st.Ports = nil
	}
	st.Attachments = append(st.Attachments[:idx], st.Attachments[idx+1:]...)
	if err := writeJSON(s.statePath(id), st); err != nil {
		return err
	}
	os.Remove(s.memberPath(n.Name, id))
	_ = s.rewriteHosts(n.Name)
	for _, a := range st.Attachments {
		_ = s.rewriteHosts(a.Network)
	}
	return nil
}

// Prune removes the user networks no container is on, and returns their names.
func (s *Store) Prune() ([]string, error) {
	nets, err := s.List()
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, n := range nets {
		if n.Name == DefaultName {
			continue
		}
		if ms, _ := s.Members(n.Name); len(ms) > 0 {
			continue
		}
		if _, err := s.Remove(n.Name); err == nil {
			gone = append(gone, n.Name)
		}
	}
	return gone, nil
}
