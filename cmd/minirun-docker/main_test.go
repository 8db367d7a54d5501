package main

import (
	"testing"

	"github.com/minirun/minirun/cmd/internal/cmdline"
)

// The lean minirun lists and hands on cmdline.DockerCommands; this
// program must have each of them, with the same usage line.
func TestDockerCommandsMatch(t *testing.T) {
	usage := map[string]string{}
	for _, c := range commands() {
		usage[c.Name] = c.Usage
	}
	for _, d := range cmdline.DockerCommands {
		u, ok := usage[d.Name]
		if !ok {
			t.Errorf("%s is handed to %s, which has no such command", d.Name, cmdline.DockerBinary)
			continue
		}
		if u != d.Usage {
			t.Errorf("%s: the lean build says %q, the full build %q", d.Name, d.Usage, u)
		}
	}
}
