package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
)

// Docker's fallback when the host's only resolvers are on its own
// loopback, which a container on a bridge cannot reach.
var fallbackDNS = []string{"8.8.8.8", "8.8.4.4"}

// DNS is what --dns, --dns-search and --dns-option ask for.
type DNS struct {
	Servers, Search, Options []string
}

// ResolvConf is the container's /etc/resolv.conf: the host's, without
// resolvers on the host's loopback (unreachable from a private network),
// with the user's servers, search domains and options replacing the
// host's where given.
func ResolvConf(host []byte, d DNS) []byte {
	var servers, search, opts []string
	sc := bufio.NewScanner(bytes.NewReader(host))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if ip := net.ParseIP(f[1]); ip != nil && !ip.IsLoopback() {
				servers = append(servers, f[1])
			}
		case "search", "domain":
			search = f[1:]
		case "options":
			opts = append(opts, f[1:]...)
		}
	}
	if len(d.Servers) > 0 {
		servers = d.Servers
	}
	if len(servers) == 0 {
		servers = fallbackDNS
	}
	if len(d.Search) > 0 {
		search = d.Search
	}
	if len(d.Options) > 0 {
		opts = d.Options
	}
	var b bytes.Buffer
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(search) > 0 && !(len(search) == 1 && search[0] == ".") {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.Bytes()
}

// HostResolvConf is the host's resolver file; systemd-resolved's stub at
// 127.0.0.53 is skipped for the file it forwards to, as Docker does.
func HostResolvConf() []byte {
	b, _ := os.ReadFile("/etc/resolv.conf")
	if bytes.Contains(b, []byte("127.0.0.53")) {
		if up, err := os.ReadFile("/run/systemd/resolve/resolv.conf"); err == nil {
			return up
		}
	}
	return b
}

// ParseAddHost reads --add-host NAME:IP (Docker also takes NAME=IP).
func ParseAddHost(s string) (name, ip string, err error) {
	name, ip, ok := strings.Cut(s, "=")
	if !ok {
		// IPv6 addresses hold colons: the name is before the first.
		name, ip, ok = strings.Cut(s, ":")
	}
	if !ok || name == "" || net.ParseIP(strings.Trim(ip, "[]")) == nil {
		if ok && ip == "host-gateway" {
			return name, ip, nil
		}
		return "", "", fmt.Errorf("--add-host %s: want NAME:IP", s)
	}
	return name, strings.Trim(ip, "[]"), nil
}

// BaseHosts is the start of a container's /etc/hosts: loopback, its own
// address and name, then --add-host lines. Peers follow, on user networks.
func BaseHosts(hostname, ip string, extra [][2]string) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	if ip != "" {
		fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
	} else {
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", hostname)
	}
	for _, e := range extra {
		fmt.Fprintf(&b, "%s\t%s\n", e[1], e[0])
	}
	return b.String()
}
