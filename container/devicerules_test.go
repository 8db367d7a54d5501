package container

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// A node listed in linux.devices gets no rule: with deny-all the only
// allows are runc's fixed set, after the config's own rules.
func TestResourcesWithDevicesGrantsNoListedNode(t *testing.T) {
	linux := &specs.Linux{
		Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
		Devices: []specs.LinuxDevice{
			{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11},
			{Path: "/dev/loop0", Type: "b", Major: 7, Minor: 0},
		},
	}
	res := resourcesWithDevices(linux)
	type key struct {
		typ          string
		major, minor int64
		access       string
	}
	var got []key
	for i, r := range res.Devices {
		if i < 2 {
			if r.Allow {
				t.Fatalf("rule %d: want the leading deny-all and the config's deny, got %+v", i, r)
			}
			continue
		}
		if !r.Allow || r.Major == nil || r.Minor == nil {
			t.Fatalf("rule %d: %+v", i, r)
		}
		got = append(got, key{r.Type, *r.Major, *r.Minor, r.Access})
	}
	want := []key{
		{"c", -1, -1, "m"}, {"b", -1, -1, "m"},
		{"c", 1, 3, "rwm"}, {"c", 1, 5, "rwm"}, {"c", 1, 7, "rwm"}, {"c", 1, 8, "rwm"}, {"c", 1, 9, "rwm"}, {"c", 5, 0, "rwm"},
		{"c", 5, 2, "rwm"}, {"c", 136, -1, "rwm"}, {"c", 10, 200, "rwm"},
	}
	if len(got) != len(want) {
		t.Fatalf("allows %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allows %v, want %v", got, want)
		}
	}
	if linux.Resources.Devices[0].Allow || len(linux.Resources.Devices) != 1 {
		t.Fatalf("the config's rules were changed: %+v", linux.Resources.Devices)
	}
}
