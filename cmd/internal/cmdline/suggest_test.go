package cmdline

import (
	"errors"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"logs", "logs", 0}, {"lgos", "logs", 1}, {"nme", "name", 1},
		{"rnu", "run", 1}, {"exprot", "export", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestNearest(t *testing.T) {
	cmds := []string{"create", "delete", "exec", "export", "images", "logs", "run", "rm", "rmi", "start", "stop"}
	for _, c := range []struct{ typed, want string }{
		{"lgos", "logs"},
		{"exprot", "export"},
		{"imgaes", "images"},
		{"strat", "start"},
		{"imag", "images"}, // a prefix
		{"frobnicate", ""},
		{"x", ""}, // one letter is near everything short: no guess
		{"RUN", "run"},
	} {
		if got := nearest(c.typed, cmds); got != c.want {
			t.Errorf("nearest(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
}

func TestDockerFlagError(t *testing.T) {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "name"},
		&cli.BoolFlag{Name: "rm"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Hidden: true},
	}
	err := dockerFlagError(errors.New("flag provided but not defined: -nme"), flags)
	if got, want := err.Error(), "unknown flag: --nme. Did you mean --name?"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A hidden flag is never suggested.
	err = dockerFlagError(errors.New("flag provided but not defined: -bundel"), flags)
	if got, want := err.Error(), "unknown flag: --bundel"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	other := errors.New("invalid value")
	if dockerFlagError(other, flags) != other {
		t.Error("an error that is no unknown flag changed")
	}
}

func TestUnknownCommand(t *testing.T) {
	globals := []cli.Flag{&cli.StringFlag{Name: "root"}, &cli.BoolFlag{Name: "systemd-cgroup"}}
	cmds := []*cli.Command{{Name: "run"}, {Name: "state"}}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"minirun", "rnu"}, "rnu"},
		{[]string{"minirun", "--root", "/x", "rnu"}, "rnu"},
		{[]string{"minirun", "--root", "/x", "run"}, ""},
		{[]string{"minirun", "help", "run"}, ""},
		{[]string{"minirun", "--help"}, ""},
		{[]string{"minirun"}, ""},
		// The unknown flag is the error, not its would-be value.
		{[]string{"minirun", "--frob", "x", "state"}, ""},
	} {
		if got := unknownCommand(c.args, globals, cmds); got != c.want {
			t.Errorf("unknownCommand(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
