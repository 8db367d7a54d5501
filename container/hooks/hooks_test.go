package hooks

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Kinds, which `minirun features` lists, are each found by Of, in config
// order; nothing else is.
func TestKinds(t *testing.T) {
	h := func(p string) []specs.Hook { return []specs.Hook{{Path: p}} }
	s := &specs.Spec{Hooks: &specs.Hooks{
		Prestart: h(Prestart), CreateRuntime: h(CreateRuntime), CreateContainer: h(CreateContainer), //nolint:staticcheck
		StartContainer: h(StartContainer), Poststart: h(Poststart), Poststop: h(Poststop),
	}}
	if len(Kinds) != 6 {
		t.Fatalf("%d kinds: %v", len(Kinds), Kinds)
	}
	for _, k := range Kinds {
		if got := Of(s, k); len(got) != 1 || got[0].Path != k {
			t.Errorf("Of(%s) = %v", k, got)
		}
	}
	if Of(s, "preStart") != nil || Of(&specs.Spec{}, Prestart) != nil || Of(nil, Prestart) != nil {
		t.Error("Of found hooks that are not there")
	}
}
