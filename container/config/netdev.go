package config

import (
	"fmt"
	"net"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/namespaces"
)

// linux.netDevices are moved by the parent (container/netdev.go); here they
// are only checked.

// validateNetDevices checks names and that the container gets a network
// namespace of its own to move them into.
func validateNetDevices(devs map[string]specs.LinuxNetDevice, plan namespaces.Plan) error {
	if len(devs) == 0 {
		return nil
	}
	if !plan.Creates(specs.NetworkNamespace) {
		return fmt.Errorf("linux.netDevices: needs a new network namespace to move the devices into")
	}
	for host, d := range devs {
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
	}
	return nil
}
