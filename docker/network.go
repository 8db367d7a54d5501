package docker

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/network"
)

// NetworkOptions are run's network flags besides --network itself
// (RunOptions.Network).
type NetworkOptions struct {
	Publish    []string // -p
	PublishAll bool     // -P: the image's exposed ports, on free host ports
	DNS        []string
	DNSSearch  []string
	DNSOptions []string
	AddHosts   []string
	IP, MAC    string
	Aliases    []string // --network-alias
}

// NetworkStore is the image store's networks directory.
func NetworkStore(storeRoot string) (*network.Store, error) {
	return network.Open(filepath.Join(storeRoot, "networks"))
}

// netMode is --network with the default filled in: a bridge for root, as
// Docker's; rootless can't make a bridge on the host, so pasta, as
// rootless podman, when it can run (pastaUsable), else none.
func netMode(mode string) string {
	switch mode {
	case "", "default":
		if container.Rootless() {
			if pastaUsable() != nil {
				return "none"
			}
			return pastaMode
		}
		return network.DefaultName
	}
	return mode
}

// usesCNI tells whether the mode is a network the plugins set up.
func usesCNI(mode string) bool {
	return mode != "none" && mode != "host" && mode != pastaMode && !strings.HasPrefix(mode, "container:")
}

// checkNetworkFlags refuses what means nothing in the mode chosen, as
// Docker does, before anything is made.
func checkNetworkFlags(mode string, o *NetworkOptions) error {
	for _, p := range o.Publish {
		if _, err := network.ParsePublish(p); err != nil {
			return invalidf("%v", err)
		}
	}
	for _, h := range o.AddHosts {
		if _, _, err := network.ParseAddHost(h); err != nil {
			return invalidf("%v", err)
		}
	}
	if o.IP != "" && net.ParseIP(o.IP).To4() == nil {
		return invalidf("--ip %q: not an IPv4 address", o.IP)
	}
	if mode == pastaMode {
		if err := pastaUsable(); err != nil {
			return invalidf("--network pasta: %v", err)
		}
		if o.IP != "" || o.MAC != "" || len(o.Aliases) > 0 {
			return invalidf("--ip, --mac-address and --network-alias need a bridge or user network, not pasta")
		}
		return nil
	}
	if usesCNI(mode) {
		if container.Rootless() {
			return invalidf("--network %s: a bridge network needs root; rootless containers get pasta, none or host", mode)
		}
		if o.IP != "" && mode == network.DefaultName {
			// Docker's words: the default bridge's addresses are its own.
			return invalidf("--ip: user specified IP address is supported on user defined networks only")
		}
		return nil
	}
	switch {
	case len(o.Publish) > 0 || o.PublishAll:
		if mode == "none" && container.Rootless() {
			// The rootless default fell back to none: say why.
			if err := pastaUsable(); err != nil {
				return invalidf("-p: a rootless container publishes ports through pasta: %v", err)
			}
		}
		return invalidf("-p: ports can't be published with --network %s", mode)
	case o.IP != "" || o.MAC != "":
		return invalidf("--ip and --mac-address need a bridge or user network, not %s", mode)
	case len(o.Aliases) > 0:
		return invalidf("--network-alias needs a user network, not %s", mode)
	case strings.HasPrefix(mode, "container:") && len(o.DNS)+len(o.DNSSearch)+len(o.DNSOptions)+len(o.AddHosts) > 0:
		return invalidf("--dns and --add-host can't be set with --network %s: it shares that container's files", mode)
	}
	return nil
}

// setNetwork points the spec's network namespace where the mode says:
// the namespace the plugins set up (made at each start, NetnsPath), the
// host's, another container's, or a new one with only lo.
func setNetwork(s *specs.Spec, c Container, mode string, o *NetworkOptions) error {
	if err := checkNetworkFlags(mode, o); err != nil {
		return err
	}
	switch {
	case mode == "none", mode == pastaMode: // a namespace of its own; pasta joins it at the start
	case mode == "host":
		dropNamespace(s, specs.NetworkNamespace)
	case strings.HasPrefix(mode, "container:"):
		return joinNamespace(s, c, specs.NetworkNamespace, "net", "--network", strings.TrimPrefix(mode, "container:"))
	default:
		joinNetns(s, NetnsPath(c.ID))
	}
	return nil
}

// checkNetworkExists refuses, before anything is made, a network that
// is not there (the default one is made on first use).
func checkNetworkExists(storeRoot, mode string) error {
	if !usesCNI(mode) || mode == network.DefaultName {
		return nil
	}
	ns, err := NetworkStore(storeRoot)
	if err != nil {
		return err
	}
	_, err = ns.Get(mode)
	return err
}

// unjoinedNetns is s as config.Validate should see it: the namespace a
// CNI network gets is made at each start, so until then it is checked as
// the new namespace it will be (a namespaced sysctl is allowed in it).
func unjoinedNetns(s *specs.Spec, mode string) *specs.Spec {
	if !usesCNI(mode) || s.Linux == nil {
		return s
	}
	cp, lin := *s, *s.Linux
	lin.Namespaces = append([]specs.LinuxNamespace(nil), s.Linux.Namespaces...)
	for i := range lin.Namespaces {
		if lin.Namespaces[i].Type == specs.NetworkNamespace {
			lin.Namespaces[i].Path = ""
		}
	}
	cp.Linux = &lin
	return &cp
}

// NetnsPath is where the network namespace of a container on a CNI
// network is bound while it runs.
func NetnsPath(id string) string { return filepath.Join(network.NetnsDir, id) }

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

// etcFiles gives the container its own /etc/hostname, /etc/hosts and
// /etc/resolv.conf, bind-mounted from the container's directory so the
// image is not touched. On a CNI network the hosts file gets the
// container's address, and its peers, at each start (startNetwork);
// with container:NAME the container shares that one's files, as Docker's.
func etcFiles(s *specs.Spec, c Container, mode string, o *NetworkOptions) error {
	files := map[string]string{}
	if peer, ok := strings.CutPrefix(mode, "container:"); ok {
		r, err := Find(filepath.Join(c.Store, "containers"), peer)
		if err != nil {
			return fmt.Errorf("--network container:%s: %w", peer, err)
		}
		dir := filepath.Join(c.Store, "containers", r.ID)
		for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
			files[f] = filepath.Join(dir, f)
		}
		if hn, err := os.ReadFile(files["hostname"]); err == nil {
			s.Hostname = strings.TrimSpace(string(hn))
		}
	} else {
		var extra [][2]string
		for _, h := range o.AddHosts {
			n, ip, _ := network.ParseAddHost(h)
			extra = append(extra, [2]string{n, ip})
		}
		content := map[string]string{
			"hostname":    s.Hostname + "\n",
			"hosts":       network.BaseHosts(s.Hostname, "", extra),
			"resolv.conf": string(resolvFor(mode, o)),
		}
		for name, data := range content {
			p := filepath.Join(c.Dir, name)
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				return fmt.Errorf("write %s: %w", p, err)
			}
			files[name] = p
		}
	}
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/" + name, Type: "bind", Source: files[name], Options: []string{"rbind", "rprivate"}})
	}
	return nil
}

// resolvFor is the container's /etc/resolv.conf in its mode: the host's
// own on the host's network, none without a network, else the host's
// without its loopback resolvers, with the user's flags.
func resolvFor(mode string, o *NetworkOptions) []byte {
	host := network.HostResolvConf()
	flags := len(o.DNS)+len(o.DNSSearch)+len(o.DNSOptions) > 0
	switch {
	case mode == "host" && !flags:
		return host
	case mode == "none" && !flags:
		return nil // no route to any resolver
	}
	return network.ResolvConf(host, network.DNS{Servers: o.DNS, Search: o.DNSSearch, Options: o.DNSOptions})
}

// recordNetwork keeps the network flags in the record, for each start.
func recordNetwork(r *Record, mode string, o *NetworkOptions) {
	h := &r.HostConfig
	h.NetworkMode = mode
	h.Publish, h.PublishAllPorts = o.Publish, o.PublishAll
	h.Dns, h.DnsSearch, h.DnsOptions, h.ExtraHosts = o.DNS, o.DNSSearch, o.DNSOptions, o.AddHosts
	h.IPAddress, h.MacAddress, h.NetworkAliases = o.IP, o.MAC, o.Aliases
}

// startNetwork sets up, from its record, the network of a container
// about to start on a CNI network, and notes the result in the record.
// It does nothing in the other modes, or when the network is already
// there (a restart by the policy keeps it). It is a start's BeforeInit
// (container.Lifecycle): it makes the namespace and returns, with the
// plugins at work in a goroutine until the returned ready, so that their
// processes run beside the init's start and mounts, not before them.
// With pasta, ready starts it on the init's namespaces.
func startNetwork(ctx context.Context, storeRoot, dir string) (ready func(pid int) error, err error) {
	r, err := LoadRecord(dir)
	if err != nil {
		return nil, err
	}
	h := r.HostConfig
	if h.NetworkMode == pastaMode {
		ports, err := publishedPorts(r)
		if err != nil {
			return nil, err
		}
		return startPasta(dir, ports)
	}
	if !usesCNI(h.NetworkMode) {
		return nil, nil
	}
	ns, err := NetworkStore(storeRoot)
	if err != nil {
		return nil, err
	}
	if st, err := ns.Load(r.ID); err == nil && st != nil {
		if _, err := os.Stat(st.Netns); err == nil {
			return nil, nil
		}
		// A set-up a killed process left halfway: undone, then redone.
		if err := ns.Teardown(ctx, r.ID); err != nil {
			return nil, err
		}
	}
	ports, err := publishedPorts(r)
	if err != nil {
		return nil, err
	}
	var extra [][2]string
	for _, e := range h.ExtraHosts {
		n, ip, err := network.ParseAddHost(e)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		extra = append(extra, [2]string{n, ip})
	}
	hostname := r.Config.Hostname
	if hostname == "" {
		hostname = r.ID[:12]
	}
	pending, err := ns.Begin(ctx, network.Request{
		ContainerID: r.ID, Name: r.Name, Hostname: hostname, Networks: []string{h.NetworkMode},
		Aliases: h.NetworkAliases, IP: h.IPAddress, MAC: h.MacAddress, Ports: ports,
		HostsFile: filepath.Join(dir, "hosts"), AddHosts: extra,
	})
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() {
		st, err := pending.Finish()
		if err == nil {
			_, err = UpdateRecord(dir, func(r *Record) error {
				r.NetworkSettings = settingsOf(st, h.NetworkAliases)
				return nil
			})
			if err != nil {
				_ = ns.Teardown(context.WithoutCancel(ctx), r.ID)
			}
		}
		done <- err
	}()
	return func(int) error { return <-done }, nil
}

// publishedPorts are the ports the record publishes: -p, and with -P the
// image's exposed ports, on host ports picked at the start.
func publishedPorts(r *Record) ([]network.PortMapping, error) {
	var ports []network.PortMapping
	for _, p := range r.HostConfig.Publish {
		ms, err := network.ParsePublish(p)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		ports = append(ports, ms...)
	}
	if r.HostConfig.PublishAllPorts {
		for p := range r.Config.ExposedPorts {
			if ms, err := network.ParsePublish(p); err == nil {
				ports = append(ports, ms...)
			}
		}
	}
	return ports, nil
}

// settingsOf is inspect's view of a container's network state.
func settingsOf(st *network.State, aliases []string) *NetworkSettings {
	ns := &NetworkSettings{Ports: map[string][]PortBinding{}, Networks: map[string]EndpointSettings{}}
	for i, a := range st.Attachments {
		e := EndpointSettings{IPAddress: a.IP, IPPrefixLen: a.Prefix, Gateway: a.Gateway, MacAddress: a.MAC}
		if a.Network != network.DefaultName {
			e.Aliases = aliases
		}
		ns.Networks[a.Network] = e
		if i == 0 {
			ns.IPAddress, ns.IPPrefixLen, ns.Gateway, ns.MacAddress = a.IP, a.Prefix, a.Gateway, a.MAC
		}
	}
	for _, p := range st.Ports {
		key := strconv.Itoa(p.ContainerPort) + "/" + p.Protocol
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		ns.Ports[key] = append(ns.Ports[key], PortBinding{HostIp: ip, HostPort: strconv.Itoa(p.HostPort)})
	}
	return ns
}

// stopNetwork undoes startNetwork for container id, and clears the
// record's view of it; any process may call it, as often as it likes
// (after Wait, the monitor's last exit, rm, a reaper).
func stopNetwork(storeRoot, id string) error {
	ns, err := NetworkStore(storeRoot)
	if err != nil {
		return err
	}
	if st, err := ns.Load(id); err != nil || st == nil {
		if err == nil {
			err = ns.Teardown(context.Background(), id) // a cut-short write's temporary
		}
		stopPasta(filepath.Join(storeRoot, "containers", id))
		return err // nothing set up, or already undone
	}
	if err := ns.Teardown(context.Background(), id); err != nil {
		return err
	}
	clearNetworkSettings(filepath.Join(storeRoot, "containers", id))
	return nil
}

// clearNetworkSettings takes the network out of inspect's view of the
// container in dir, once it is gone; a removed container has no record
// to clear.
func clearNetworkSettings(dir string) {
	if _, err := os.Stat(filepath.Join(dir, recordFile)); err == nil {
		_, _ = UpdateRecord(dir, func(r *Record) error {
			r.NetworkSettings = nil
			return nil
		})
	}
}

// reaperNetEnv names the store whose network set-up a reaper undoes, for
// a container whose minirun (or monitor) was killed.
const reaperNetEnv = "MINIRUN_REAPER_NET_STORE"

// reaperEnvFor is what a start hands its reaper, for the Docker front's
// clean-up after it: the network always, the layer with --rm.
func reaperEnvFor(storeRoot string, remove bool) []string {
	env := []string{reaperNetEnv + "=" + storeRoot}
	if remove {
		env = append(env, reaperStoreEnv+"="+storeRoot)
	}
	return env
}
