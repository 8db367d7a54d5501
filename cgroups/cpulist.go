package cgroups

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// maxListSpan bounds one "a-b" range so a typo like "0-4000000000" is an
// error rather than a huge allocation.
const maxListSpan = 1 << 16

// parseList parses the kernel's list format ("0-3,5,7-8") into a set.
func parseList(s string) (map[int]bool, error) {
	out := map[int]bool{}
	s = strings.TrimSpace(s)
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("list %q: bad number %q", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("list %q: bad range %q", s, part)
			}
		}
		if b-a > maxListSpan {
			return nil, fmt.Errorf("list %q: range %q too large", s, part)
		}
		for i := a; i <= b; i++ {
			out[i] = true
		}
	}
	return out, nil
}

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
	cpus, err := parseList(string(b))
	if err != nil {
		return topology{}, fmt.Errorf("cgroups: parse /sys/devices/system/cpu/online: %w", err)
	}
	mems := map[int]bool{0: true}
	if b, err := os.ReadFile("/sys/devices/system/node/online"); err == nil {
		if mems, err = parseList(string(b)); err != nil {
			return topology{}, fmt.Errorf("cgroups: parse /sys/devices/system/node/online: %w", err)
		}
	}
	return topology{cpus: cpus, mems: mems}, nil
}

// ParseList parses a CPU or NUMA node list in the kernel's format
// ("0-3,5"), for the other places a spec carries one (execCPUAffinity,
// memoryPolicy.nodes).
func ParseList(s string) (map[int]bool, error) { return parseList(s) }
