package cgroups

import "testing"

// A cgroup that isn't there (or no cgroup at all) reads as zeros, as runc's
// events --stats shows a container with no controller.
func TestReadStatsMissing(t *testing.T) {
	if s := ReadStats(""); s.Memory.Usage.Usage != 0 || s.Pids.Current != 0 {
		t.Fatalf("%+v", s)
	}
	if s := ReadStats("/minirun/no-such-container-here"); s.Memory.Usage.Limit != 0 || s.CPU.Usage.Total != 0 {
		t.Fatalf("%+v", s)
	}
}
