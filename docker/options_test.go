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
