package docker

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/network"
)

// NetworkOptions are run's network flags.
type NetworkOptions struct {
	// Mode is --network: bridge (the default as root), none, host,
	// container:NAME or a user network's name.
	Mode        string
	Publish     []string // -p
	PublishAll  bool     // -P: the image's exposed ports, on free host ports
	DNS         []string
	DNSSearch   []string
	DNSOptions  []string
	AddHosts    []string
	IP, MAC     string
	Aliases     []string // --network-alias
	networkRefs []string // resolved: the networks to join
}

// NetworkStore is the image store's networks directory.
func NetworkStore(storeRoot string) (*network.Store, error) {
	return network.Open(filepath.Join(storeRoot, "networks"))
}

// netMode is what --network asks for, with the default filled in: a
// bridge for root, as Docker's; rootless has no way to make a bridge on
// the host, so none.
func netMode(o *NetworkOptions) string {
	switch m := o.Mode; {
	case m == "" || m == "default":
		if container.Rootless() {
			return "none"
		}
		return network.DefaultName
	default:
		return m
	}
}

// usesCNI tells whether the mode is a network the plugins set up.
func usesCNI(mode string) bool {
	return mode != "none" && mode != "host" && !strings.HasPrefix(mode, "container:")
}

// checkNetworkFlags refuses flags that mean nothing in the mode chosen,
// as Docker does, before anything is made.
func checkNetworkFlags(o *NetworkOptions, mode string) error {
	if usesCNI(mode) {
		if container.Rootless() {
			return invalidf("--network %s: a bridge network needs root; rootless containers get none or host", mode)
		}
		return nil
	}
	switch {
	case len(o.Publish) > 0 || o.PublishAll:
		return invalidf("-p: ports can't be published with --network %s", mode)
	case o.IP != "" || o.MAC != "":
		return invalidf("--ip and --mac-address need a bridge or user network, not %s", mode)
	case len(o.Aliases) > 0:
		return invalidf("--network-alias needs a user network, not %s", mode)
	case strings.HasPrefix(mode, "container:") && (len(o.DNS)+len(o.DNSSearch)+len(o.DNSOptions)+len(o.AddHosts) > 0):
		return invalidf("--dns and --add-host can't be set with --network %s: it shares that container's files", mode)
	}
	return nil
}

// publishes is -p's and -P's port mappings.
func publishes(o *NetworkOptions, exposed map[string]struct{}) ([]network.PortMapping, error) {
	var out []network.PortMapping
	for _, p := range o.Publish {
		ms, err := network.ParsePublish(p)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		out = append(out, ms...)
	}
	if o.PublishAll {
		for p := range exposed {
			ms, err := network.ParsePublish(p)
			if err != nil {
				continue // an image's odd port spec is not the user's error
			}
			out = append(out, ms...)
		}
	}
	return out, nil
}

// setupNetwork joins container c to the network its mode names, before
// its spec is written; the spec then joins the namespace made here.
// hostsFile is the container's /etc/hosts, which the network keeps up to
// date with its peers.
func setupNetwork(ctx context.Context, storeRoot string, c Container, name, hostname string, o *NetworkOptions) (*network.State, error) {
	mode := netMode(o)
	if !usesCNI(mode) {
		return nil, nil
	}
	ns, err := NetworkStore(storeRoot)
	if err != nil {
		return nil, err
	}
	var exposed map[string]struct{}
	if c.Image != nil {
		exposed = c.Image.Config.ExposedPorts
	}
	ports, err := publishes(o, exposed)
	if err != nil {
		return nil, err
	}
	var extra [][2]string
	for _, h := range o.AddHosts {
		n, ip, err := network.ParseAddHost(h)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		extra = append(extra, [2]string{n, ip})
	}
	return ns.Setup(ctx, network.Request{
		ContainerID: c.ID, Name: name, Hostname: hostname, Networks: []string{mode},
		Aliases: o.Aliases, IP: o.IP, MAC: o.MAC, Ports: ports,
		HostsFile: filepath.Join(c.Dir, "hosts"), AddHosts: extra,
	})
}

// TeardownNetwork undoes setupNetwork for container id; any process may
// call it, as often as it likes (after Wait, rm, a reaper).
func TeardownNetwork(storeRoot, id string) error {
	ns, err := NetworkStore(storeRoot)
	if err != nil {
		return err
	}
	return ns.Teardown(context.Background(), id)
}

// joinNetns points the spec's network namespace at path.
func joinNetns(s *specs.Spec, path string) {
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			s.Linux.Namespaces[i].Path = path
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: path})
}

// resolvFor is the container's /etc/resolv.conf in its mode.
func resolvFor(mode string, o *NetworkOptions) []byte {
	host := network.HostResolvConf()
	if mode == "host" && len(o.DNS)+len(o.DNSSearch)+len(o.DNSOptions) == 0 {
		return host
	}
	if mode == "none" && len(o.DNS) == 0 {
		return nil // no route to any resolver
	}
	return network.ResolvConf(host, network.DNS{Servers: o.DNS, Search: o.DNSSearch, Options: o.DNSOptions})
}
