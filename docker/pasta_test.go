package docker

import (
	"errors"
	"slices"
	"testing"

	"github.com/minirun/minirun/network"
)

func TestPastaArgs(t *testing.T) {
	got := pastaArgs(42, []network.PortMapping{
		{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 5353, ContainerPort: 53, Protocol: "udp"},
	}, "/c/pasta.pid")
	want := []string{"--foreground", "--config-net", "--quiet", "--ns-ifname", "eth0", "--pid", "/c/pasta.pid",
		"-t", "8080:80", "-u", "127.0.0.1/5353:53", "42"}
	if !slices.Equal(got, want) {
		t.Errorf("pastaArgs: %q, want %q", got, want)
	}
}

func TestPastaError(t *testing.T) {
	msg := []byte("Failed to send 46 bytes to syslog\nNo external routable interface for IPv4\n\nExternal interface not usable\n")
	if got, want := pastaError(msg, errors.New("exit status 1")), "No external routable interface for IPv4; External interface not usable"; got != want {
		t.Errorf("pastaError: %q, want %q", got, want)
	}
	if got := pastaError(nil, errors.New("exit status 1")); got != "exit status 1" {
		t.Errorf("pastaError without a message: %q", got)
	}
}
