package cgroups

import (
	"fmt"
	"os"

	"github.com/minirun/minirun/internal/procattr"
)

// topology is what the host offers a cpuset. It is a value so validation is
// testable without the host's /sys.
type topology struct {
	cpus map[int]bool
	mems map[int]bool
}

// hostTopology reads the online CPUs and memory nodes. A host without NUMA
// support has no node list; node 0 always exists there.
func hostTopology() (topology, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return topology{}, fmt.Errorf("cgroups: read online cpus: %w", err)
	}
	cpus, err := procattr.ParseList(string(b))
	if err != nil {
		return topology{}, fmt.Errorf("cgroups: parse /sys/devices/system/cpu/online: %w", err)
	}
	mems := map[int]bool{0: true}
	if b, err := os.ReadFile("/sys/devices/system/node/online"); err == nil {
		if mems, err = procattr.ParseList(string(b)); err != nil {
			return topology{}, fmt.Errorf("cgroups: parse /sys/devices/system/node/online: %w", err)
		}
	}
	return topology{cpus: cpus, mems: mems}, nil
}
