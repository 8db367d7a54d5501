package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestReorderArgs(t *testing.T) {
	// Copies with the flags wrapped as main wraps them, so the shared
	// commands are left as other tests expect them.
	globals := cacheFlagNames(globalFlags)
	var cmds []*cli.Command
	for _, c := range commands {
		cp := *c
		cp.Flags = cacheFlagNames(c.Flags)
		cmds = append(cmds, &cp)
	}
	for in, want := range map[string]string{
		"minirun update ID --memory 1M --pids-limit=10": "minirun update --memory 1M --pids-limit=10 ID",
		"minirun --root /r delete ID --force":           "minirun --root /r delete --force ID",
		"minirun --debug kill ID KILL --all":            "minirun --debug kill --all ID KILL",
		"minirun update -r - ID":                        "minirun update -r - ID",
		"minirun exec ID sh -c --x":                     "minirun exec ID sh -c --x",
		"minirun ps ID -ef":                             "minirun ps ID -ef",
		"minirun kill ID -- KILL":                       "minirun kill -- ID KILL",
		"minirun delete ID --bogus":                     "minirun delete --bogus ID",
	} {
		got := strings.Join(reorderArgs(strings.Fields(in), globals, cmds), " ")
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
}
