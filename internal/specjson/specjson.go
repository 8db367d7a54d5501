// Package specjson decodes and encodes a runtime-spec config.json for a
// Linux runtime, as encoding/json would specs.Spec, without the cost of
// the other platforms' types.
//
// encoding/json, the first time it meets a struct type, builds the field
// tables and encoders of every type reachable from it, whether the data
// holds a value of it or not. For specs.Spec that includes Windows,
// Solaris, VM and z/OS, about a third of the first decode's time in a
// fresh minirun (measured: 3.3 -> 2.1 ms cold, on a loaded VM), paid at
// every start and again at every exec. Here those four are raw JSON: a
// config that has one is still refused by name (container/config), but
// its contents are never decoded.
package specjson

import (
	"bytes"
	"encoding/json"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Spec is specs.Spec with the non-Linux platforms left raw. The name is
// the same so that encoding/json's errors ("Go struct field
// Spec.process...") read as they did.
type Spec struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *specs.Linux      `json:"linux,omitempty"`
	Solaris     json.RawMessage   `json:"solaris,omitempty"`
	Windows     json.RawMessage   `json:"windows,omitempty"`
	VM          json.RawMessage   `json:"vm,omitempty"`
	ZOS         json.RawMessage   `json:"zos,omitempty"`
	FreeBSD     *specs.FreeBSD    `json:"freebsd,omitempty"`
}

// Unmarshal decodes data into s as json.Unmarshal(data, s) does, except
// that a non-Linux platform's section, when present and not null, comes
// out as an empty value of its type: present, for the checks that refuse
// it, but unread.
func Unmarshal(data []byte, s *specs.Spec) error {
	var w Spec
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*s = specs.Spec{
		Version: w.Version, Process: w.Process, Root: w.Root, Hostname: w.Hostname, Domainname: w.Domainname,
		Mounts: w.Mounts, Hooks: w.Hooks, Annotations: w.Annotations, Linux: w.Linux, FreeBSD: w.FreeBSD,
	}
	if present(w.Solaris) {
		s.Solaris = &specs.Solaris{}
	}
	if present(w.Windows) {
		s.Windows = &specs.Windows{}
	}
	if present(w.VM) {
		s.VM = &specs.VM{}
	}
	if present(w.ZOS) {
		s.ZOS = &specs.ZOS{}
	}
	return nil
}

// Of is what to hand json.Marshal for s: the same JSON as s itself. It
// is s when s has a non-Linux platform's section (no config minirun runs
// has one), else s as a Spec, whose encoders skip those types.
func Of(s *specs.Spec) any {
	if s == nil || s.Solaris != nil || s.Windows != nil || s.VM != nil || s.ZOS != nil {
		return s
	}
	return &Spec{
		Version: s.Version, Process: s.Process, Root: s.Root, Hostname: s.Hostname, Domainname: s.Domainname,
		Mounts: s.Mounts, Hooks: s.Hooks, Annotations: s.Annotations, Linux: s.Linux, FreeBSD: s.FreeBSD,
	}
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}
