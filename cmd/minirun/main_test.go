package main

import (
	"testing"

	"github.com/minirun/minirun/cmd/internal/cmdline"
)

// minirun lists each of minirun-docker's own commands once, and hands it
// on (cmdline.Forward) rather than running it.
func TestDockerCommandsForwarded(t *testing.T) {
	seen := map[string]int{}
	for _, c := range commands() {
		seen[c.Name]++
	}
	for name, n := range seen {
		if n > 1 {
			t.Errorf("%s is listed %d times", name, n)
		}
	}
	for _, d := range cmdline.DockerCommands {
		if seen[d.Name] != 1 {
			t.Errorf("%s: minirun-docker's command is not handed on", d.Name)
		}
	}
	for _, c := range commands() {
		for _, d := range cmdline.DockerCommands {
			if c.Name == d.Name && !c.SkipFlagParsing {
				t.Errorf("%s parses its own flags: not the forwarder, which leaves them to %s", c.Name, cmdline.DockerBinary)
			}
		}
	}
}
