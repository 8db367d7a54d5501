package cgroups

import (
	"errors"
	"testing"
)

func TestResolvePath(t *testing.T) {
	cases := []struct {
		path, id, want string
	}{
		{"", "abc", "/minirun/abc"},
		{"/minirun/abc", "ignored", "/minirun/abc"},
		{"/a/b/../c/", "", "/a/c"},
		{"relative/x", "", "/relative/x"},
		{"/../../etc", "", "/etc"},
		{"machine.slice:minirun:abc", "", "/machine.slice/minirun-abc.scope"},
		{"machine-web.slice:minirun:abc", "", "/machine.slice/machine-web.slice/minirun-abc.scope"},
		{"a-b-c.slice:p:n", "", "/a.slice/a-b.slice/a-b-c.slice/p-n.scope"},
		{":minirun:abc", "", "/system.slice/minirun-abc.scope"},
		{"system.slice::abc", "", "/system.slice/abc.scope"},
		{"-.slice:p:abc", "", "/p-abc.scope"},
		{"user.slice:p:my.scope", "", "/user.slice/my.scope"},
	}
	for _, c := range cases {
		got, err := resolvePath(c.path, c.id)
		if err != nil {
			t.Errorf("resolvePath(%q, %q): %v", c.path, c.id, err)
			continue
		}
		if got != c.want {
			t.Errorf("resolvePath(%q, %q) = %q, want %q", c.path, c.id, got, c.want)
		}
	}
}

func TestResolvePathRejects(t *testing.T) {
	cases := []struct{ path, id string }{
		{"", ""},
		{"", "a/b"},
		{"", ".."},
		{"/", "x"},
		{"/a/..", "x"},
		{"a:b", "x"},
		{"a:b:c:d", "x"},
		{"machine:p:n", "x"},    // slice must end in .slice
		{"a--b.slice:p:n", "x"}, // empty slice component
		{"-a.slice:p:n", "x"},
		{"machine.slice:p:", "x"},
		{"machine.slice:p:a/b", "x"},
	}
	for _, c := range cases {
		got, err := resolvePath(c.path, c.id)
		if err == nil {
			t.Errorf("resolvePath(%q, %q) = %q, want error", c.path, c.id, got)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("resolvePath(%q, %q): error %v does not match ErrInvalid", c.path, c.id, err)
		}
	}
}

func TestNested(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"/minirun", "/minirun/x", true},
		{"/minirun/x/sub", "/minirun/x", true},
		{"/minirun/x", "/minirun/x/", true},
		{"/minirun/x", "/minirun/xy", false},
		{"/minirun/a", "/minirun/b", false},
	} {
		if got := Nested(tc.a, tc.b); got != tc.want {
			t.Errorf("Nested(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
