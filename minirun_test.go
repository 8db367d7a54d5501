package minirun

import (
	"errors"
	"os"
	"testing"
)

// What a harness can check without root: errors come with their class.
func TestErrorsCarryTheirClass(t *testing.T) {
	if _, err := Bundle("c1", t.TempDir()); !errors.Is(err, os.ErrNotExist) || ExitCode(err) != 125 {
		t.Fatalf("a bundle without config.json: %v (exit %d)", err, ExitCode(err))
	}
	rt := &Runtime{Root: t.TempDir()}
	c, err := rt.Load("nobody")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.State(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a container that isn't there: %v", err)
	}
	if _, err := rt.Load("../x"); err == nil {
		t.Fatal("an id with a slash was accepted")
	}
}
