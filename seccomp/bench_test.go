package seccomp

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The parent sends the compiled Program to the init inside the JSON init
// config, and the init decodes it in a fresh process before anything else:
// its size and decode cost are part of every start with a profile.
func BenchmarkProgramJSON(b *testing.B) {
	p := compileDefault(b, dockerCaps)
	data, err := json.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			var q Program
			if err := json.Unmarshal(data, &q); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Evaluate is what `minirun seccomp check` and the preflight cost.
func BenchmarkEvaluateDefault(b *testing.B) {
	p := compileDefault(b, dockerCaps)
	for i := 0; i < b.N; i++ {
		if _, err := p.Evaluate("x86_64", "unshare", [6]uint64{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestProgramJSONCompact(t *testing.T) {
	p := compileDefault(t, dockerCaps)
	p.Warnings = []string{"w"}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Program
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, &q) {
		t.Fatalf("round trip changed the program:\n%+v\n%+v", p, &q)
	}
	if len(data) > 11*len(p.Instructions)+1024 {
		t.Errorf("%d bytes of JSON for %d instructions: not the compact form", len(data), len(p.Instructions))
	}
	if err := json.Unmarshal([]byte(`{"BPF":"AAAA"}`), &q); err == nil {
		t.Fatal("a partial instruction was accepted")
	}
}

// Evaluate keeps the last program's interpreter: switching programs must
// not answer with the other one's.
func TestEvaluateSwitchesPrograms(t *testing.T) {
	def := compileDefault(t, dockerCaps)
	allow, err := compileNoCache(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		for _, c := range []struct {
			p    *Program
			want string
		}{{def, "ERRNO(EPERM)"}, {allow, "ALLOW"}} {
			ret, err := c.p.Evaluate("x86_64", "unshare", [6]uint64{})
			if err != nil || ActionString(ret) != c.want {
				t.Fatalf("round %d: %s, %v; want %s", i, ActionString(ret), err, c.want)
			}
		}
	}
}
