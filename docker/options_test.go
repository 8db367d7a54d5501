package docker

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSecurityOpts(t *testing.T) {
	s, err := parseSecurityOpts([]string{"seccomp=unconfined", "no-new-privileges"})
	if err != nil || s.seccomp != "unconfined" || !s.noNewPrivs || !s.explicitProf {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = parseSecurityOpts([]string{"no-new-privileges=false", "seccomp:/p.json"})
	if err != nil || s.noNewPrivs || s.seccomp != "/p.json" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"seccomp=", "no-new-privileges=maybe", "selinux=x"} {
		if _, err := parseSecurityOpts([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseVolume(t *testing.T) {
	dir := t.TempDir()
	m, err := parseVolume(dir + ":/data:ro")
	if err != nil || m.Destination != "/data" || m.Source != dir || !strings.Contains(strings.Join(m.Options, ","), "ro") {
		t.Fatalf("%+v %v", m, err)
	}
	for _, bad := range []string{"named:/data", dir + ":rel", dir + ":/d:rx", "onlyone"} {
		if _, err := parseVolume(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseUlimit(t *testing.T) {
	r, err := parseUlimit("nofile=1024:2048")
	if err != nil || r.Type != "RLIMIT_NOFILE" || r.Soft != 1024 || r.Hard != 2048 {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = parseUlimit("core=-1")
	if err != nil || r.Soft != unix.RLIM_INFINITY || r.Hard != unix.RLIM_INFINITY {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []string{"nofile=2:1", "bogus=1", "nofile", "nofile=x"} {
		if _, err := parseUlimit(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "1024k": 1 << 20, "128m": 128 << 20, "128M": 128 << 20,
		"1g": 1 << 30, "2GB": 2 << 30, "-1": -1, "0": 0,
	} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "x", "-2", "-1m", "1.5g", "9999999999g"} {
		if v, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, v)
		}
	}
}

func TestCapabilities(t *testing.T) {
	got, err := capabilities(&RunOptions{CapDrop: []string{"ALL"}, CapAdd: []string{"kill", "CAP_chown"}})
	if err != nil || strings.Join(got, ",") != "CAP_CHOWN,CAP_KILL" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := capabilities(&RunOptions{CapAdd: []string{"flying"}}); err == nil {
		t.Fatal("unknown capability accepted")
	}
	def, _ := capabilities(&RunOptions{})
	if len(def) != 14 {
		t.Fatalf("defaults: %v", def)
	}
}
