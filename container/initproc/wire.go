package initproc

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The config travels as JSON, and encoding/json, the first time it meets
// a struct type, builds the field tables of every type reachable from it,
// whether the message holds a value of it or not. For specs.Spec that is
// Windows, Solaris, VM, z/OS, the whole of linux.resources and more: a
// millisecond of a fresh init's start, spent where the container waits.
// So the spec crosses in the init's own shape, the fields the init reads
// and nothing else. What is left out is the parent's to do (resources,
// network devices, Intel RDT) or no Linux container's; seccomp comes
// compiled, in Config.Seccomp.

// initSpec is the part of specs.Spec the init reads, under the same JSON
// names.
type initSpec struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *initLinux        `json:"linux,omitempty"`
}

// initLinux is the part of specs.Linux the init reads.
type initLinux struct {
	UIDMappings       []specs.LinuxIDMapping           `json:"uidMappings,omitempty"`
	GIDMappings       []specs.LinuxIDMapping           `json:"gidMappings,omitempty"`
	Sysctl            map[string]string                `json:"sysctl,omitempty"`
	CgroupsPath       string                           `json:"cgroupsPath,omitempty"`
	Namespaces        []specs.LinuxNamespace           `json:"namespaces,omitempty"`
	Devices           []specs.LinuxDevice              `json:"devices,omitempty"`
	RootfsPropagation string                           `json:"rootfsPropagation,omitempty"`
	MaskedPaths       []string                         `json:"maskedPaths,omitempty"`
	ReadonlyPaths     []string                         `json:"readonlyPaths,omitempty"`
	MountLabel        string                           `json:"mountLabel,omitempty"`
	Personality       *specs.LinuxPersonality          `json:"personality,omitempty"`
	TimeOffsets       map[string]specs.LinuxTimeOffset `json:"timeOffsets,omitempty"`
	MemoryPolicy      *specs.LinuxMemoryPolicy         `json:"memoryPolicy,omitempty"`
}

func trimSpec(s *specs.Spec) *initSpec {
	if s == nil {
		return nil
	}
	w := &initSpec{
		Version: s.Version, Process: s.Process, Root: s.Root, Hostname: s.Hostname, Domainname: s.Domainname,
		Mounts: s.Mounts, Hooks: s.Hooks, Annotations: s.Annotations,
	}
	if l := s.Linux; l != nil {
		w.Linux = &initLinux{
			UIDMappings: l.UIDMappings, GIDMappings: l.GIDMappings, Sysctl: l.Sysctl, CgroupsPath: l.CgroupsPath,
			Namespaces: l.Namespaces, Devices: l.Devices, RootfsPropagation: l.RootfsPropagation,
			MaskedPaths: l.MaskedPaths, ReadonlyPaths: l.ReadonlyPaths, MountLabel: l.MountLabel,
			Personality: l.Personality, TimeOffsets: l.TimeOffsets, MemoryPolicy: l.MemoryPolicy,
		}
	}
	return w
}

func (w *initSpec) spec() *specs.Spec {
	if w == nil {
		return nil
	}
	s := &specs.Spec{
		Version: w.Version, Process: w.Process, Root: w.Root, Hostname: w.Hostname, Domainname: w.Domainname,
		Mounts: w.Mounts, Hooks: w.Hooks, Annotations: w.Annotations,
	}
	if l := w.Linux; l != nil {
		s.Linux = &specs.Linux{
			UIDMappings: l.UIDMappings, GIDMappings: l.GIDMappings, Sysctl: l.Sysctl, CgroupsPath: l.CgroupsPath,
			Namespaces: l.Namespaces, Devices: l.Devices, RootfsPropagation: l.RootfsPropagation,
			MaskedPaths: l.MaskedPaths, ReadonlyPaths: l.ReadonlyPaths, MountLabel: l.MountLabel,
			Personality: l.Personality, TimeOffsets: l.TimeOffsets, MemoryPolicy: l.MemoryPolicy,
		}
	}
	return s
}

// wireConfig is Config as it is sent: Config's own Spec is left out
// (json:"-"), this one takes its place.
type wireConfig struct {
	*plainConfig
	Spec *initSpec
}

type plainConfig Config // Config without its methods

// SendConfig sends the init its config.
func (c Conn) SendConfig(cfg Config) error {
	return c.Send(wireConfig{(*plainConfig)(&cfg), trimSpec(cfg.Spec)}, -1)
}

// RecvConfig reads the init's config, refusing a field this build does
// not know: a minirun-init older than its minirun would otherwise drop
// what it was asked to do (Build catches the rest).
func (c Conn) RecvConfig(cfg *Config) error {
	_, data, err := c.recv()
	if err != nil {
		return err
	}
	w := wireConfig{plainConfig: (*plainConfig)(cfg)}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil {
		return fmt.Errorf("config from the parent: %w (minirun and minirun-init from different builds?)", err)
	}
	cfg.Spec = w.Spec.spec()
	return nil
}
