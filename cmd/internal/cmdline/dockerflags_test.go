package cmdline

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// exec's Docker-only flags, alone or grouped, make a usage error Docker's
// (125); runc's flags and what follows the reference don't.
func TestDockerExecArgs(t *testing.T) {
	cmds := testCommands()
	exec := findCommand(cmds, "exec")
	for args, want := range map[string]bool{
		"-i web sh":              true,
		"-it web sh":             true,
		"-ti web sh":             true,
		"--workdir=/ web sh":     true,
		"-w / web sh":            true,
		"--env-file f web sh":    true,
		"--privileged web sh":    true,
		"-t -d ID sh":            false,
		"-e I=1 ID sh":           false,
		"--cwd /i ID sh":         false,
		"-u 1 ID sh -i":          false,
		"-p proc.json ID":        false,
		"--preserve-fds 1 ID sh": false,
	} {
		if got := dockerExecArgs(strings.Fields(args), exec.Flags); got != want {
			t.Errorf("exec %s: Docker's %v, want %v", args, got, want)
		}
	}
}

// run -h alone is runc's help; -h with a value is Docker's --hostname.
func TestRunHelpArgs(t *testing.T) {
	globals := globalFlags()
	cmds := testCommands()
	for in, want := range map[string]string{
		"minirun run -h":                      "minirun run --help",
		"minirun --root /r run -h":            "minirun --root /r run --help",
		"minirun run -h web alpine hostname":  "minirun run --hostname web alpine hostname",
		"minirun run -h true alpine hostname": "minirun run --hostname true alpine hostname",
		"minirun run -h=web alpine":           "minirun run --hostname=web alpine",
		"minirun run --name -h alpine -h":     "minirun run --name -h alpine -h",
		"minirun run -d alpine sh -h":         "minirun run -d alpine sh -h",
		"minirun exec -h":                     "minirun exec -h",
		"minirun run":                         "minirun run",
	} {
		if got := strings.Join(runHelpArgs(strings.Fields(in), globals, cmds), " "); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

// A list flag with an alias keeps each value once and whole, commas
// included, whichever name gives it.
func TestListFlagAliases(t *testing.T) {
	var got []string
	app := &cli.App{Commands: []*cli.Command{{
		Name:  "x",
		Flags: []cli.Flag{&cli.GenericFlag{Name: "env", Aliases: []string{"e"}, Value: &listValue{}}},
		Action: func(c *cli.Context) error {
			got = takeList(c, "env")
			return nil
		},
	}}}
	for _, args := range [][]string{{"-e", "A=1,2", "-e", "B=3"}, {"--env", "A=1,2", "--env", "B=3"}} {
		if err := app.Run(append([]string{"prog", "x"}, args...)); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != "A=1,2|B=3" {
			t.Errorf("%v: %q", args, got)
		}
	}
}
