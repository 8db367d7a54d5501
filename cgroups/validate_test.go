package cgroups

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var twoCPUs = topology{cpus: map[int]bool{0: true, 1: true}, mems: map[int]bool{0: true}}

func TestValidateAccepts(t *testing.T) {
	for _, res := range []*specs.LinuxResources{
		nil,
		{},
		full(),
		{Memory: &specs.LinuxMemory{Limit: i64(mib(32)), Swap: i64(mib(32))}},
		{Memory: &specs.LinuxMemory{Limit: i64(mib(32)), Swap: i64(-1)}},
		{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
	} {
		if err := validate(res, twoCPUs); err != nil {
			t.Errorf("validate(%+v): %v", res, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		res  *specs.LinuxResources
		want string
	}{
		{&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(mib(64)), Swap: i64(mib(32))}}, "memory.swap=33554432 is below memory.limit=67108864"},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-3"}}, "cpuset.cpus=0-3: no such cpu [2 3]"},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "7"}}, "no such cpu [7]"},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "1"}}, "cpuset.mems=1: no such memory node [1]"},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "x"}}, "cpuset.cpus=x"},
		{&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(101)}}, "memory.swappiness=101"},
	}
	for _, c := range cases {
		err := validate(c.res, twoCPUs)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", c.want, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %q does not contain %q", err, c.want)
		}
	}
}

func TestHostTopology(t *testing.T) {
	topo, err := hostTopology()
	if err != nil {
		t.Skipf("no /sys here: %v", err)
	}
	if !topo.cpus[0] || !topo.mems[0] {
		t.Fatalf("cpu 0 or node 0 missing from %+v", topo)
	}
}
