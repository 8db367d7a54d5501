package cgroups

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats is the part of runc's stats minirun reports, with its JSON names
// (go-runc decodes them): memory, pids and cpu usage.
type Stats struct {
	CPU    CPUStats    `json:"cpu"`
	Memory MemoryStats `json:"memory"`
	Pids   PidsStats   `json:"pids"`
}

type CPUStats struct {
	Usage struct {
		Total uint64 `json:"total,omitempty"`
	} `json:"usage"`
}

type MemoryStats struct {
	Usage struct {
		Limit uint64 `json:"limit"`
		Usage uint64 `json:"usage,omitempty"`
		Max   uint64 `json:"max,omitempty"`
	} `json:"usage"`
}

type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

// ReadStats reads the usage of the cgroup at path (as Manager.Path gives
// it) in the v1 layout (this project's hosts) or the v2 one. A missing
// file reads as zero: a controller the host lacks reports nothing.
func ReadStats(path string) *Stats {
	var s Stats
	if path == "" {
		return &s
	}
	v1 := func(ctrl, file string) uint64 {
		return readUint(filepath.Join("/sys/fs/cgroup", ctrl, path, file))
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", path)); err == nil {
		s.CPU.Usage.Total = v1("cpuacct", "cpuacct.usage")
		s.Memory.Usage.Usage = v1("memory", "memory.usage_in_bytes")
		s.Memory.Usage.Max = v1("memory", "memory.max_usage_in_bytes")
		s.Memory.Usage.Limit = v1("memory", "memory.limit_in_bytes")
		s.Pids.Current = v1("pids", "pids.current")
		s.Pids.Limit = v1("pids", "pids.max")
		return &s
	}
	v2 := func(file string) uint64 { return readUint(filepath.Join("/sys/fs/cgroup", path, file)) }
	s.Memory.Usage.Usage = v2("memory.current")
	s.Memory.Usage.Limit = v2("memory.max")
	s.Pids.Current = v2("pids.current")
	s.Pids.Limit = v2("pids.max")
	return &s
}

// readUint reads a one-number cgroup file; "max" and errors read as 0.
func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v
}
