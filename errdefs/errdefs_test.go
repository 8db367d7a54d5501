package errdefs

import (
	"errors"
	"fmt"
	"testing"
)

func TestClassesAndExitCodes(t *testing.T) {
	missing := New(ErrNotFound, "no such image")
	wrapped := fmt.Errorf("run: image alpine: %w", missing)
	if !errors.Is(wrapped, ErrNotFound) || errors.Is(wrapped, ErrExists) || wrapped.Error() != "run: image alpine: no such image" {
		t.Fatalf("%v", wrapped)
	}
	for err, want := range map[error]int{
		nil: 0, wrapped: 125, errors.New("plain"): 125,
		fmt.Errorf("exec: %w", New(ErrCommandNotFound, `"x": not found`)): 127,
		New(ErrNotExecutable, "permission denied"):                        126,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}
