package config

import (
	"fmt"
	"net"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// linux.netDevices are moved by the parent (container/netdev.go); here they
// are only checked.

// checkNetDevices checks names and that the container gets a network
// namespace of its own to move them into.
func checkNetDevices(s *specs.Spec, _ string) error {
	devs := LinuxOf(s).NetDevices
	if len(devs) == 0 {
		return nil
	}
	plan, err := planOf(s)
	if err != nil {
		return err
	}
	if !plan.Creates(specs.NetworkNamespace) {
		return fmt.Errorf("linux.netDevices: needs a new network namespace to move the devices into")
	}
	for host, d := range devs {
		if err := checkNetDevice(host, d); err != nil {
			return err
		}
	}
	return nil
}

// checkNetDevice checks both names of one device: a bad one would make a
// link name the kernel refuses, or a path out of /sys/class/net. The host
// side must exist now, before anything is created.
func checkNetDevice(host string, d specs.LinuxNetDevice) error {
	names := []string{host}
	if d.Name != "" {
		names = append(names, d.Name)
	}
	for _, n := range names {
		if n == "" || len(n) >= unix.IFNAMSIZ || n == "." || n == ".." || strings.ContainsAny(n, "/: \t\n") {
			return fmt.Errorf("linux.netDevices[%q]: bad interface name %q", host, n)
		}
	}
	if _, err := net.InterfaceByName(host); err != nil {
		return fmt.Errorf("linux.netDevices[%q]: no such interface on the host: %w", host, err)
	}
	return nil
}
