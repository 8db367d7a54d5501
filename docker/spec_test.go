package docker

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The resource flags must add to the device rules, not replace them: a
// --memory once dropped linux.resources.devices with the rest.
func TestResourcesKeepDeviceRules(t *testing.T) {
	devs := DockerDeviceRules()
	r, err := resources(&RunOptions{Memory: "64m", PidsLimit: 10}, devs)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Devices) != len(devs) || r.Devices[0].Allow || r.Memory == nil || r.Pids == nil {
		t.Fatalf("resources: %+v", r)
	}
	r, err = resources(&RunOptions{}, devs)
	if err != nil || r == nil || len(r.Devices) != len(devs) {
		t.Fatalf("no flags: %+v, %v", r, err)
	}
}

func TestPrivilegedAllowsAllDevices(t *testing.T) {
	s := BaseSpec()
	if err := privilege(s); err != nil {
		t.Fatal(err)
	}
	want := specs.LinuxDeviceCgroup{Allow: true, Access: "rwm"}
	if got := s.Linux.Resources.Devices; len(got) != 1 || got[0].Allow != want.Allow || got[0].Type != want.Type || got[0].Access != want.Access {
		t.Fatalf("privileged device rules: %+v", got)
	}
}
