package cmdline

import (
	"strings"
	"testing"
)

func TestReorderArgs(t *testing.T) {
	// The flags wrapped as Main wraps them.
	globals := cacheFlagNames(globalFlags())
	cmds := testCommands()
	for _, c := range cmds {
		cacheCommandFlagNames(c)
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
