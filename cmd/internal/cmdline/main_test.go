package cmdline

import (
	"testing"

	"github.com/urfave/cli/v2"
)

// testCommands are the commands of this package, as the lean minirun
// lists them.
func testCommands() []*cli.Command {
	cmds := []*cli.Command{
		Checkpoint(), Restore(), Create(ForwardDocker), Start(ForwardDocker), Events(), Exec(nil), Features(),
		Kill(ForwardDocker), Delete(), Pause(), Resume(), Ps(ForwardDocker), Run(ForwardDocker), Seccomp(),
		State(), List(), Update(),
	}
	for _, d := range DockerCommands {
		cmds = append(cmds, Forward(d.Name))
	}
	return cmds
}

// Each constructor makes a command of its own: what Main does to one
// program's commands (wrapping flags, usage errors) touches no other
// list.
func TestCommandsAreFresh(t *testing.T) {
	a, b := testCommands(), testCommands()
	for i := range a {
		if a[i] == b[i] {
			t.Errorf("%s: one *cli.Command for two lists", a[i].Name)
		}
		for j := range a[i].Flags {
			if a[i].Flags[j] == b[i].Flags[j] {
				t.Errorf("%s: flag %v shared by two lists", a[i].Name, a[i].Flags[j].Names())
			}
		}
	}
}

// Forward names only the full program's commands.
func TestForwardUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Forward(\"create\") made a command; want a panic: create is not minirun-docker's own")
		}
	}()
	Forward("create")
}
