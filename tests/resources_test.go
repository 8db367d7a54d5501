package tests

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// linux.resources beyond memory, pids and cpu, as runc 1.1 applies them.

// Docker sends these zeros on every container; each means "not set", and
// the container runs (issue 20: every docker run failed at create).
func TestResourcesDockerZeros(t *testing.T) {
	needRoot(t)
	var w0 uint16
	var s0 uint64
	off := false
	s := defaultSpec(t, "true")
	s.Linux.Resources = &specs.LinuxResources{
		Devices: s.Linux.Resources.Devices,
		BlockIO: &specs.LinuxBlockIO{Weight: &w0},
		CPU:     &specs.LinuxCPU{Shares: &s0},
		Memory:  &specs.LinuxMemory{DisableOOMKiller: &off},
		Pids:    &specs.LinuxPids{},
	}
	if r := runSpec(t, s, ""); r.code != 0 {
		t.Fatalf("Docker's zero resources: %+v", r)
	}
	checkNothingLeft(t, containerID(t), 0)
}
