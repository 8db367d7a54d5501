package seccomp

import (
	"encoding/json"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// canonicalJSON returns exactly what encoding/json produces for s, without
// its reflection: the cache key is computed on every start, and the first
// json.Marshal of a process costs more than the whole cache lookup. Any
// string that would need escaping falls back to encoding/json.
func canonicalJSON(s *specs.LinuxSeccomp) ([]byte, error) {
	e := canonEncoder{buf: make([]byte, 0, 16<<10)}
	e.seccomp(s)
	if e.fallback {
		return json.Marshal(s)
	}
	return e.buf, nil
}

type canonEncoder struct {
	buf      []byte
	fallback bool
}

func (e *canonEncoder) raw(s string) { e.buf = append(e.buf, s...) }

// str appends a JSON string; only bytes that encoding/json leaves alone
// are handled here.
func (e *canonEncoder) str(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			e.fallback = true
			return
		}
	}
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, '"')
}

func (e *canonEncoder) uint(v uint64) { e.buf = strconv.AppendUint(e.buf, v, 10) }

// The field order and omitempty rules follow specs-go's struct tags.
func (e *canonEncoder) seccomp(s *specs.LinuxSeccomp) {
	e.raw(`{"defaultAction":`)
	e.str(string(s.DefaultAction))
	if s.DefaultErrnoRet != nil {
		e.raw(`,"defaultErrnoRet":`)
		e.uint(uint64(*s.DefaultErrnoRet))
	}
	if len(s.Architectures) > 0 {
		e.raw(`,"architectures":[`)
		for i, a := range s.Architectures {
			e.comma(i)
			e.str(string(a))
		}
		e.raw("]")
	}
	if len(s.Flags) > 0 {
		e.raw(`,"flags":[`)
		for i, f := range s.Flags {
			e.comma(i)
			e.str(string(f))
		}
		e.raw("]")
	}
	if s.ListenerPath != "" {
		e.raw(`,"listenerPath":`)
		e.str(s.ListenerPath)
	}
	if s.ListenerMetadata != "" {
		e.raw(`,"listenerMetadata":`)
		e.str(s.ListenerMetadata)
	}
	if len(s.Syscalls) > 0 {
		e.raw(`,"syscalls":[`)
		for i, sc := range s.Syscalls {
			e.comma(i)
			e.syscall(sc)
		}
		e.raw("]")
	}
	e.raw("}")
}

func (e *canonEncoder) syscall(sc specs.LinuxSyscall) {
	e.raw(`{"names":`)
	if sc.Names == nil {
		e.raw("null")
	} else {
		e.raw("[")
		for i, n := range sc.Names {
			e.comma(i)
			e.str(n)
		}
		e.raw("]")
	}
	e.raw(`,"action":`)
	e.str(string(sc.Action))
	if sc.ErrnoRet != nil {
		e.raw(`,"errnoRet":`)
		e.uint(uint64(*sc.ErrnoRet))
	}
	if len(sc.Args) > 0 {
		e.raw(`,"args":[`)
		for i, a := range sc.Args {
			e.comma(i)
			e.raw(`{"index":`)
			e.uint(uint64(a.Index))
			e.raw(`,"value":`)
			e.uint(a.Value)
			if a.ValueTwo != 0 {
				e.raw(`,"valueTwo":`)
				e.uint(a.ValueTwo)
			}
			e.raw(`,"op":`)
			e.str(string(a.Op))
			e.raw("}")
		}
		e.raw("]")
	}
	e.raw("}")
}

func (e *canonEncoder) comma(i int) {
	if i > 0 {
		e.buf = append(e.buf, ',')
	}
}
