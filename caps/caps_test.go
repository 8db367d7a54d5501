package caps

import (
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"sys_admin": "CAP_SYS_ADMIN", "CAP_NET_RAW": "CAP_NET_RAW", "Chown": "CAP_CHOWN",
		"all": "ALL", " kill ": "CAP_KILL",
	} {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"CAP_NOPE", "", "SYS_ADMINX"} {
		if _, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) succeeded", bad)
		}
	}
}

func TestDockerDefaultsAreKnown(t *testing.T) {
	if len(DockerDefaults) != 14 {
		t.Fatalf("want 14 Docker defaults, have %d", len(DockerDefaults))
	}
	for _, n := range DockerDefaults {
		if _, err := Value(n); err != nil {
			t.Error(err)
		}
	}
}

func TestValidateNamesTheSet(t *testing.T) {
	err := Validate(&specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Ambient: []string{"CAP_BOGUS"}})
	if err == nil || err.Error() != `process.capabilities.ambient: unknown capability "CAP_BOGUS"` {
		t.Fatalf("got %v", err)
	}
	if err := Validate(&specs.LinuxCapabilities{Effective: []string{"cap_kill"}}); err == nil {
		t.Fatal("lower-case name accepted in a config")
	}
}

func TestPrepareRejectsUnknown(t *testing.T) {
	if _, err := Prepare(&specs.LinuxCapabilities{Permitted: []string{"CAP_X"}}); err == nil {
		t.Fatal("unknown capability accepted")
	}
	s, err := Prepare(&specs.LinuxCapabilities{Effective: []string{"CAP_KILL"}, Bounding: []string{"CAP_KILL"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got == "" {
		t.Fatal("empty description")
	}
}

func TestResolve(t *testing.T) {
	got, err := Resolve(DockerDefaults, []string{"sys_admin"}, []string{"CAP_MKNOD", "net_raw"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(DockerDefaults)-1 || !slices.Contains(got, "CAP_SYS_ADMIN") || slices.Contains(got, "CAP_MKNOD") || slices.Contains(got, "CAP_NET_RAW") {
		t.Fatalf("%v", got)
	}
	all, _ := Resolve(nil, []string{"ALL"}, nil)
	if len(all) != len(Available()) {
		t.Fatalf("ALL gave %d, the host can grant %d", len(all), len(Available()))
	}
	if none, _ := Resolve(DockerDefaults, nil, []string{"ALL"}); len(none) != 0 {
		t.Fatalf("drop ALL: %v", none)
	}
	if _, err := Resolve(nil, []string{"CAP_NOPE"}, nil); err == nil || !strings.Contains(err.Error(), "--cap-add") {
		t.Fatalf("unknown capability: %v", err)
	}
}
