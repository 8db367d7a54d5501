package seccomp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/minirun/minirun/caps"
)

// FuzzProfile feeds profile bytes through the parser, the validator and
// the compiler. A profile is refused with a one-line ErrInvalid, or it
// compiles, or libseccomp refuses it; it never panics, and whatever passed
// the bounds compiles fast (the fuzzer's own timeout catches a hang).
func FuzzProfile(f *testing.F) {
	def, err := json.Marshal(DockerDefault())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO"}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["unshare","setns"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"name":"personality","action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"op":"SCMP_CMP_NE"},{"index":0,"value":0,"op":"SCMP_CMP_NE"}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/l.sock","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY","includes":{"caps":["CAP_SYS_ADMIN"]}}]}`))
	old := CacheDir
	CacheDir = "" // compile every time; the cache is not under test
	f.Cleanup(func() { CacheDir = old })
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseProfile(body, caps.DockerDefaults)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal is not ErrInvalid: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		p, err := compileNoCache(s)
		if err != nil {
			return // libseccomp's refusals (an instruction count) are fine
		}
		if len(p.Instructions) == 0 || len(p.Instructions) > 4096 {
			t.Fatalf("compiled to %d instructions", len(p.Instructions))
		}
	})
}
