package procattr

import (
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Every memory policy mode and flag `minirun features` lists is one the
// init applies, sorted, and nothing it refuses is listed.
func TestMemoryPolicyFeatures(t *testing.T) {
	modes, flags := MemoryPolicyFeatures()
	if len(modes) != len(mempolicyModes) || len(flags) != len(mempolicyFlags) || !slices.IsSorted(modes) || !slices.IsSorted(flags) {
		t.Fatalf("modes %v, flags %v", modes, flags)
	}
	for _, m := range modes {
		p := &specs.LinuxMemoryPolicy{Mode: specs.MemoryPolicyModeType(m), Nodes: "0"}
		if m == string(specs.MpolDefault) || m == string(specs.MpolLocal) {
			p.Nodes = ""
		}
		if _, _, _, err := MemoryPolicy(p); err != nil {
			t.Errorf("listed mode %s refused: %v", m, err)
		}
	}
	for _, f := range flags {
		p := &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MemoryPolicyFlagType(f)}}
		if _, _, _, err := MemoryPolicy(p); err != nil {
			t.Errorf("listed flag %s refused: %v", f, err)
		}
	}
	if _, _, _, err := MemoryPolicy(&specs.LinuxMemoryPolicy{Mode: "MPOL_NOPE"}); err == nil {
		t.Error("an unlisted mode accepted")
	}
}
