package cgroups

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSubCgroups(t *testing.T) {
	for _, c := range []struct {
		args []string
		want SubCgroups
		err  string
	}{
		{nil, nil, ""},
		{[]string{"foo/bar"}, SubCgroups{"": "foo/bar"}, ""},
		{[]string{"memory:submem", "cpu,cpuacct:subcpu"}, SubCgroups{"memory": "submem", "cpu": "subcpu", "cpuacct": "subcpu"}, ""},
		{[]string{"name=systemd:/"}, SubCgroups{"name=systemd": "/"}, ""},
		{[]string{"a:b:c"}, nil, "invalid --cgroup argument: a:b:c"},
		{[]string{"memory:x", "y"}, nil, "invalid --cgroup argument: y (missing <controller>: prefix)"},
		{[]string{"cpu,:x"}, nil, "empty controller name"},
	} {
		got, err := ParseSubCgroups(c.args)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want an error containing %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %v, %v; want %v", c.args, got, err, c.want)
		}
	}
}

// On cgroup v2 there is one hierarchy: PATH is taken below the
// container's cgroup, never above it, and a controller prefix is unknown.
func TestSubDirsV2(t *testing.T) {
	m := &v2Manager{mount: "/sys/fs/cgroup", path: "/minirun/c1"}
	for _, c := range []struct {
		sub  SubCgroups
		want string
		err  string
	}{
		{SubCgroups{"": "/"}, "/sys/fs/cgroup/minirun/c1", ""},
		{SubCgroups{"": "foobar"}, "/sys/fs/cgroup/minirun/c1/foobar", ""},
		{SubCgroups{"": "/a/../b"}, "/sys/fs/cgroup/minirun/c1/b", ""},
		{SubCgroups{"": ".."}, "", ".. is not a sub cgroup path"},
		{SubCgroups{"": "../c10"}, "", "../c10 is not a sub cgroup path"},
		{SubCgroups{"memory": "x"}, "", "unknown controller memory"},
	} {
		dirs, err := subDirs(m, c.sub)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, %v; want an error containing %q", c.sub, dirs, err, c.err)
			}
			continue
		}
		if err != nil || len(dirs) != 1 || dirs[0] != c.want {
			t.Errorf("%v: %v, %v; want [%s]", c.sub, dirs, err, c.want)
		}
	}
}
