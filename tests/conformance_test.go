package tests

import (
	"os"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Behaviours the OCI runtime spec requires with a MUST, each found missing
// by the runtime-tools validation suite (docs/conformance.md). These tests
// are our own: they keep the behaviour without needing that suite.

// A namespace path whose file is a namespace of another type must be an
// error. Joining it anyway is worst for "mount": the container would get
// no mount namespace of its own and pivot_root in the caller's.
func TestConformanceNamespacePathOfWrongType(t *testing.T) {
	needRoot(t)
	before, _ := os.Readlink("/proc/self/ns/mnt")
	for _, c := range []struct {
		typ        specs.LinuxNamespaceType
		file, kind string // the /proc/self/ns file given, and what it is
	}{
		{specs.MountNamespace, "net", "network"},
		{specs.CgroupNamespace, "ipc", "ipc"},
		{specs.NetworkNamespace, "pid", "pid"},
		{specs.UTSNamespace, "cgroup", "cgroup"},
		{specs.IPCNamespace, "mnt", "mount"},
	} {
		t.Run(string(c.typ), func(t *testing.T) {
			s := defaultSpec(t, "true")
			path := "/proc/self/ns/" + c.file
			nss := []specs.LinuxNamespace{{Type: c.typ, Path: path}}
			for _, ns := range s.Linux.Namespaces {
				if ns.Type != c.typ {
					nss = append(nss, ns)
				}
			}
			s.Linux.Namespaces = nss
			checkFailure(t, runSpec(t, s, ""), "join namespace", path, "is a "+c.kind+" namespace")
		})
	}
	s := defaultSpec(t, "true")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace, Path: "/etc/hostname"})
	checkFailure(t, runSpec(t, s, ""), "join namespace", "not a namespace file")
	if after, _ := os.Readlink("/proc/self/ns/mnt"); after != before {
		t.Fatalf("our mount namespace changed: %s -> %s", before, after)
	}
}
