package main

import "testing"

// The lean build lists and hands on dockerCommands; the full build (this
// test's) must have each of them, with the same usage line.
func TestDockerCommandsMatch(t *testing.T) {
	usage := map[string]string{}
	for _, c := range commands {
		usage[c.Name] = c.Usage
	}
	for _, d := range dockerCommands {
		u, ok := usage[d.Name]
		if !ok {
			t.Errorf("%s is handed to %s, which has no such command", d.Name, DockerBinary)
			continue
		}
		if u != d.Usage {
			t.Errorf("%s: the lean build says %q, the full build %q", d.Name, d.Usage, u)
		}
	}
}
