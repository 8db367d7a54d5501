package initproc

import (
	"reflect"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// leftOut are the spec fields the init never reads, and why: anything
// else a runtime-spec update adds must be sorted into initSpec/initLinux
// or here, or this test fails.
var leftOut = map[string]string{
	"Spec.Windows": "not Linux", "Spec.Solaris": "not Linux", "Spec.VM": "not Linux", "Spec.ZOS": "not Linux", "Spec.FreeBSD": "not Linux",
	"Linux.Resources":  "the parent applies them to the cgroup",
	"Linux.Seccomp":    "compiled by the parent, sent as Config.Seccomp",
	"Linux.IntelRdt":   "the parent's",
	"Linux.NetDevices": "moved by the parent",
}

func TestWireSpecCoversTheSpec(t *testing.T) {
	for _, c := range []struct {
		name       string
		full, wire reflect.Type
	}{
		{"Spec", reflect.TypeFor[specs.Spec](), reflect.TypeFor[initSpec]()},
		{"Linux", reflect.TypeFor[specs.Linux](), reflect.TypeFor[initLinux]()},
	} {
		for i := 0; i < c.full.NumField(); i++ {
			f := c.full.Field(i)
			key := c.name + "." + f.Name
			w, ok := c.wire.FieldByName(f.Name)
			if _, out := leftOut[key]; out {
				if ok {
					t.Errorf("%s is both sent and listed as left out", key)
				}
				continue
			}
			if !ok {
				t.Errorf("%s is neither sent to the init nor listed as left out", key)
				continue
			}
			if w.Tag.Get("json") != f.Tag.Get("json") && key != "Spec.Linux" {
				t.Errorf("%s: JSON tag %q, the spec's is %q", key, w.Tag.Get("json"), f.Tag.Get("json"))
			}
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	s := &specs.Spec{
		Version:  "1.2.0",
		Process:  &specs.Process{Args: []string{"sh"}, Cwd: "/", Env: []string{"A=1"}, Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "h", Domainname: "d",
		Mounts:      []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}},
		Hooks:       &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true"}}},
		Annotations: map[string]string{"a": "b"},
		Linux: &specs.Linux{
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}},
			GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}},
			Sysctl:      map[string]string{"net.ipv4.ip_forward": "1"}, CgroupsPath: "/x",
			Namespaces:        []specs.LinuxNamespace{{Type: specs.MountNamespace}},
			Devices:           []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}},
			RootfsPropagation: "rslave", MaskedPaths: []string{"/proc/kcore"}, ReadonlyPaths: []string{"/proc/sys"},
			MountLabel:   "l",
			Personality:  &specs.LinuxPersonality{Domain: specs.PerLinux32},
			TimeOffsets:  map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}},
			MemoryPolicy: &specs.LinuxMemoryPolicy{Mode: "MPOL_BIND", Nodes: "0"},
			Resources:    &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			NetDevices:   map[string]specs.LinuxNetDevice{"eth1": {}},
		},
		Windows: &specs.Windows{},
	}
	cfg := Config{Spec: s, Rootfs: "/r", ID: "c1", CloseFrom: 5, AwaitPlaced: true}
	if err := NewConn(fds[0]).SendConfig(cfg); err != nil {
		t.Fatal(err)
	}
	var got Config
	if err := NewConn(fds[1]).RecvConfig(&got); err != nil {
		t.Fatal(err)
	}
	want := *s
	l := *s.Linux
	l.Resources, l.NetDevices = nil, nil
	want.Linux, want.Windows = &l, nil
	if !reflect.DeepEqual(got.Spec, &want) {
		t.Errorf("spec came back as\n%+v\nwant\n%+v", got.Spec, &want)
	}
	got.Spec, cfg.Spec = nil, nil
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("config came back as %+v, want %+v", got, cfg)
	}
}

// A field this build doesn't know, anywhere in the message, is refused.
func TestRecvConfigRefusesUnknownFields(t *testing.T) {
	for _, msg := range []string{`{"Spec":{"ociVersion":"1","linux":{"resources":{}}}}`, `{"Rootfs":"/","Later":1}`} {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(fds[0], []byte(msg)); err != nil {
			t.Fatal(err)
		}
		var got Config
		if err := NewConn(fds[1]).RecvConfig(&got); err == nil {
			t.Errorf("%s: accepted", msg)
		}
		unix.Close(fds[0])
		unix.Close(fds[1])
	}
}
