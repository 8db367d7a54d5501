package subid

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	file := "# comment\nother:100000:65536\nbad:x:1\n1001:200000:0\n1001:300000:1000\nalice:400000:65536\n"
	for _, c := range []struct {
		name string
		id   int
		want Range
		ok   bool
	}{
		{"alice", 1002, Range{400000, 65536}, true},
		{"bob", 1001, Range{300000, 1000}, true}, // by number; the empty range skipped
		{"carol", 1003, Range{}, false},
	} {
		r, ok := parse(strings.NewReader(file), c.name, c.id)
		if ok != c.ok || r != c.want {
			t.Errorf("%s/%d: %v %v, want %v %v", c.name, c.id, r, ok, c.want, c.ok)
		}
	}
}

func TestToContainer(t *testing.T) {
	m := Build(1001, 1002, Range{100000, 65536}, Range{200000, 1000})
	for _, c := range [][4]int{{1001, 1002, 0, 0}, {100000, 200000, 1, 1}, {100999, 200999, 1000, 1000}, {0, 0, 0, 0}, {1000, 201000, 0, 0}} {
		if u, g := m.ToContainer(c[0], c[1]); u != c[2] || g != c[3] {
			t.Errorf("%d:%d inside is %d:%d, want %d:%d", c[0], c[1], u, g, c[2], c[3])
		}
	}
}

func TestBuildString(t *testing.T) {
	m := Build(1001, 1002, Range{100000, 65536}, Range{200000, 1000})
	if got := m.String(); got != "0:1001:1,1:100000:65536;0:1002:1,1:200000:1000" {
		t.Fatalf("%s", got)
	}
	var none *Maps
	if none.String() != "" {
		t.Fatal("nil maps print something")
	}
}
