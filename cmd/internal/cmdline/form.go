package cmdline

import (
	"github.com/urfave/cli/v2"
)

// create, start and kill are both runc's (what engines call) and
// Docker's (what people type). dockerFormOf tells them apart by the
// arguments, the one rule docs/cli.md's table states:
//
//   - a Docker-only flag (create's run flags, start -a/-i, kill -s) is
//     Docker's;
//   - then the reference, by the rule every command that names a
//     container follows (dockerform.go): an engine's id is runc's, a
//     Docker-front container's name, full id or id prefix is Docker's;
//   - create with -b/--bundle, or a lone argument and a config.json in
//     the current directory, is runc's, as with run; otherwise Docker's;
//   - anything else is runc's, so a missing container gets runc's error
//     and status, as engines expect.
//
// The engine check comes first and costs two stats: the engines' path
// never reads the store.
func dockerFormOf(c *cli.Context) bool {
	ref := c.Args().First()
	switch c.Command.Name {
	case "create":
		if bundleMode(c) || (c.NArg() == 1 && engineRef(c, ref)) {
			return false
		}
		return true
	case "start":
		if c.Bool("attach") || c.Bool("interactive") || c.NArg() > 1 {
			return true
		}
	case "kill":
		if c.IsSet("signal") {
			return true
		}
	default:
		return false
	}
	return c.NArg() > 0 && refForm(c, ref) == dockerRef
}

// setForm records the form of a create, start or kill once its action
// has told (exitstatus.go): Docker's fails with 125, runc's with 1.
func setForm(runc bool) { invocation.runc = runc }
