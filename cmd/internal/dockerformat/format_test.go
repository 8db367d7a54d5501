package dockerformat

import (
	"bytes"
	"testing"
)

type row struct{ A, B string }

func (row) Label(k string) string { return "v-" + k }

func TestPrinter(t *testing.T) {
	for _, c := range []struct{ format, want string }{
		{"{{.A}}", "x\ny\n"},
		{`{{.A}}\t{{upper .B}}`, "x\tLONG\ny\tZ\n"},
		{"json", "{\"A\":\"x\",\"B\":\"long\"}\n{\"A\":\"y\",\"B\":\"z\"}\n"},
		{`table {{.A}}\t{{.B}}`, "A         B\nx         long\ny         z\n"},
		{`{{.Label "k"}} {{join (split .B "o") "-"}}`, "v-k l-ng\nv-k z\n"},
	} {
		var b bytes.Buffer
		p, err := NewPrinter(&b, c.format, row{"A", "B"})
		if err != nil {
			t.Fatalf("%q: %v", c.format, err)
		}
		for _, r := range []row{{"x", "long"}, {"y", "z"}} {
			if err := p.Print(r); err != nil {
				t.Fatal(err)
			}
		}
		p.Flush()
		if b.String() != c.want {
			t.Errorf("%q: got %q, want %q", c.format, b.String(), c.want)
		}
	}
	if _, err := NewPrinter(&bytes.Buffer{}, "{{.A", nil); err == nil {
		t.Error("a bad template parsed")
	}
}
