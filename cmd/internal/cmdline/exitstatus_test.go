package cmdline

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/minirun/minirun/errdefs"
)

// The status a failure exits with follows the command line's form: runc's
// numbers for runc's commands, Docker's for the rest.
func TestExitStatusByForm(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	plain := errors.New("failed")
	notFound := fmt.Errorf("exec: %w", errdefs.New(errdefs.ErrCommandNotFound, "not found"))
	for _, c := range []struct {
		args       []string
		err        error
		want       int
		withConfig bool // config.json in the current directory
	}{
		{[]string{"minirun", "state", "x"}, plain, 1, false},
		{[]string{"minirun", "--root", "/r", "--debug", "delete", "x"}, plain, 1, false},
		{[]string{"minirun", "--log-format", "json", "exec", "x", "true"}, plain, 255, false},
		{[]string{"minirun", "exec", "x", "nosuch"}, notFound, 255, false},
		{[]string{"minirun", "spec"}, plain, 1, false},
		{[]string{"minirun", "run", "-b", "b", "x"}, notFound, 1, false},
		{[]string{"minirun", "run", "--bundle=b", "x"}, plain, 1, false},
		{[]string{"minirun", "run", "-d", "--pid-file", "p", "x"}, plain, 1, true},
		{[]string{"minirun", "run", "x"}, plain, 125, false},
		{[]string{"minirun", "run", "--rm", "alpine", "nosuch"}, notFound, 127, true},
		{[]string{"minirun", "run", "--", "x"}, plain, 1, true},
		{[]string{"minirun", "pull", "x"}, plain, 125, false},
		{[]string{"minirun", "seccomp", "check", "p"}, plain, 125, false},
		{[]string{"minirun", "frobnicate"}, plain, 125, false},
		{[]string{"minirun"}, plain, 125, false},
		{[]string{"minirun", "state", "x"}, StatusError(7), 7, false},
		{[]string{"minirun", "run", "alpine"}, StatusError(3), 3, false},
	} {
		os.Remove("config.json")
		if c.withConfig {
			os.WriteFile("config.json", []byte("{}"), 0o644)
		}
		invocation.command, invocation.runc = "", false
		classify(c.args, globalFlags(), testCommands())
		if got := exitStatus(c.err); got != c.want {
			t.Errorf("%q (config.json %v), %v: exit %d, want %d", c.args, c.withConfig, c.err, got, c.want)
		}
	}
	if exitStatus(nil) != 0 {
		t.Errorf("no error: exit %d", exitStatus(nil))
	}
}

// ps is runc's with a container id, Docker's without.
func TestPsFormFromArgs(t *testing.T) {
	flags := Ps(nil).Flags
	for args, want := range map[string]bool{
		"":                        false,
		"-a":                      false,
		"-aq":                     false,
		"-aqf name=x":             false,
		"-f status=exited -a":     false,
		"--format {{.ID}} -n 3":   false,
		"ID":                      true,
		"-f json ID":              true,
		"--format json ID -o pid": true,
		"--filter name=x -- ID":   true,
	} {
		if got := psHasID(strings.Fields(args), flags); got != want {
			t.Errorf("ps %s: runc's form %v, want %v", args, got, want)
		}
	}
}
