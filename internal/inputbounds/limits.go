// Package inputbounds holds the bounds minirun puts on JSON it did not write
// (config.json, seccomp profiles) and the two cheap checks that enforce
// them before anything decodes the input: a runtime that reads a file of
// any size, or decodes JSON of any depth, lets its input choose its memory
// and CPU.
package inputbounds

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/minirun/minirun/errdefs"
)

const (
	// ConfigBytes bounds config.json. Engines' configs are a few KiB; even
	// one with Docker's profile embedded is under 40 KiB.
	ConfigBytes = 4 << 20
	// ProfileBytes bounds a seccomp profile file. Docker's default is 25 KiB.
	ProfileBytes = 4 << 20
	// JSONDepth bounds nesting. The deepest object the runtime-spec
	// defines is about 6 levels down (linux.seccomp.syscalls[].args[]).
	JSONDepth = 64
)

// ErrTooLarge marks every bound that was hit, for errors.Is. The messages
// themselves name the input and the limit, so it is not in their text.
var ErrTooLarge = errdefs.New(errdefs.ErrInvalid, "over the limit")

type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return ErrTooLarge }

// Errorf makes an error that is ErrTooLarge. It takes no %w.
func Errorf(format string, a ...any) error {
	return &limitError{fmt.Sprintf(format, a...)}
}

// ReadFile reads path if it holds at most max bytes. A regular file is
// refused on its size before a byte is read; anything else (a fifo, a
// /dev/stdin) is read up to max+1 bytes and refused then.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > max {
		return nil, tooLarge(path, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, Errorf("%s: more than %s, over the limit", path, Bytes(max))
	}
	return data, nil
}

func tooLarge(path string, size, max int64) error {
	return Errorf("%s: %d bytes, over the limit of %s", path, size, Bytes(max))
}

// Bytes prints a limit the way it is written in the source.
func Bytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// CheckDepth refuses JSON nested deeper than max. It only tracks strings
// and brackets, so it runs in one pass over bytes that may not even be
// valid JSON; the decoder reports syntax errors afterwards.
func CheckDepth(body []byte, max int) error {
	depth, inString, escaped := 0, false, false
	line, col := 1, 0
	for _, b := range body {
		col++
		if b == '\n' {
			line, col = line+1, 0
		}
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return Errorf("JSON nested deeper than the limit of %d levels at line %d, column %d", max, line, col)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// ParseBytes reads Docker's byte sizes, as `run --memory` and `update
// --memory` take them: 1048576, 1024k, 1m, 1g (powers of 1024, with or
// without a b), or -1 for no limit.
func ParseBytes(s string) (int64, error) {
	mult := int64(1)
	t := strings.TrimSuffix(strings.ToLower(s), "b")
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, invalidf("%q is not a size", s)
	}
	if v < 0 {
		if v == -1 && mult == 1 {
			return -1, nil
		}
		return 0, invalidf("%q: negative size", s)
	}
	if v > (1<<63-1)/mult {
		return 0, invalidf("%q: too large", s)
	}
	return v * mult, nil
}

func invalidf(format string, a ...any) error {
	return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf(format, a...))
}
