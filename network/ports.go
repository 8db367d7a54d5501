package network

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// PortMapping is one published port, in the shape the portmap plugin
// takes as its portMappings capability.
type PortMapping struct {
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

func (p PortMapping) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%d/%s -> %s:%d", p.ContainerPort, p.Protocol, ip, p.HostPort)
}

// ParsePublish reads one -p value, Docker's
// [ip:][hostPort[-end]:]containerPort[-end][/tcp|udp]. A host port of 0
// (or none) is picked later, when the port is bound (Reserve).
func ParsePublish(spec string) ([]PortMapping, error) {
	bad := func(why string) ([]PortMapping, error) {
		return nil, fmt.Errorf("-p %s: %s", spec, why)
	}
	proto := "tcp"
	rest := spec
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		proto, rest = rest[i+1:], rest[:i]
		if proto != "tcp" && proto != "udp" {
			return bad("protocol " + strconv.Quote(proto) + ": want tcp or udp")
		}
	}
	var ip, host, ctr string
	parts := strings.Split(rest, ":")
	switch len(parts) {
	case 1:
		ctr = parts[0]
	case 2:
		host, ctr = parts[0], parts[1]
	case 3:
		ip, host, ctr = parts[0], parts[1], parts[2]
		if net.ParseIP(ip) == nil || net.ParseIP(ip).To4() == nil {
			return bad("host address " + strconv.Quote(ip) + " is not an IPv4 address")
		}
	default:
		return bad("want [ip:][hostPort:]containerPort[/proto]")
	}
	cLo, cHi, err := portRange(ctr)
	if err != nil {
		return bad("container port: " + err.Error())
	}
	hLo, hHi := 0, 0
	if host != "" {
		if hLo, hHi, err = portRange(host); err != nil {
			return bad("host port: " + err.Error())
		}
		if hHi-hLo != cHi-cLo {
			return bad("the host and container port ranges differ in length")
		}
	}
	var out []PortMapping
	for i := 0; i <= cHi-cLo; i++ {
		m := PortMapping{HostIP: ip, ContainerPort: cLo + i, Protocol: proto}
		if hLo != 0 {
			m.HostPort = hLo + i
		}
		out = append(out, m)
	}
	return out, nil
}

func portRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = port(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = port(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("range %s runs backwards", s)
		}
	}
	return lo, hi, nil
}

func port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port (1-65535)", s)
	}
	return n, nil
}

// ErrPortTaken is a host port something else holds.
var ErrPortTaken = errors.New("port is already allocated")

// Reserve is reserve for ports no container of this store holds through
// the plugins (pasta's: a taken port is one some process has bound).
func Reserve(ms []PortMapping) error { return reserve(ms, map[string]bool{}) }

// reserve checks that each host port is free by binding it for a moment,
// and picks one for a mapping that has none. The portmap plugin only
// writes NAT rules, which never fail on a taken port: without this check a
// second container would silently steal the first one's traffic, or a
// host service's.
func reserve(ms []PortMapping, taken map[string]bool) error {
	for i := range ms {
		m := &ms[i]
		ip := m.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		key := fmt.Sprintf("%s/%d", m.Protocol, m.HostPort)
		if m.HostPort != 0 && taken[key] {
			return fmt.Errorf("bind for %s:%d failed: %w (by another container)", ip, m.HostPort, ErrPortTaken)
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(m.HostPort))
		var closer interface{ Close() error }
		var got int
		if m.Protocol == "udp" {
			c, err := net.ListenPacket("udp4", addr)
			if err != nil {
				return fmt.Errorf("bind for %s:%d/udp failed: %w", ip, m.HostPort, ErrPortTaken)
			}
			closer, got = c, c.LocalAddr().(*net.UDPAddr).Port
		} else {
			l, err := net.Listen("tcp4", addr)
			if err != nil {
				return fmt.Errorf("bind for %s:%d failed: %w", ip, m.HostPort, ErrPortTaken)
			}
			closer, got = l, l.Addr().(*net.TCPAddr).Port
		}
		closer.Close()
		m.HostPort = got
		taken[fmt.Sprintf("%s/%d", m.Protocol, got)] = true
	}
	return nil
}
