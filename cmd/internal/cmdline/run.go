package cmdline

import (
	"os"

	"github.com/urfave/cli/v2"
)

// Run is `run`, which has two modes. runc's: `run [-b BUNDLE] ID`, what
// engines call. And Docker's: `run [OPTIONS] IMAGE [COMMAND] [ARG...]`,
// what people type. A bundle flag, or a config.json in the current
// directory with a lone argument, means runc's. runImage is Docker's
// mode: the Docker front's (dockercmd.RunImage) or the lean program's
// hand-on to it (ForwardDocker).
func Run(runImage cli.ActionFunc) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a container: from an image (Docker style) or a bundle (-b DIR ID, runc style)",
		ArgsUsage: "IMAGE [COMMAND] [ARG...] | -b BUNDLE ID",
		Flags:     append(append(append(runcRunFlags(), dockerRunFlags()...), dockerLifeFlags()...), seccompWatchFlags()...),
		// -it is -i -t, as Docker users type it.
		UseShortOptionHandling: true,
		Action: func(c *cli.Context) error {
			bundle := bundleMode(c)
			setRunForm(bundle)
			if bundle {
				return runBundle(c)
			}
			return runImage(c)
		},
	}
}

func bundleMode(c *cli.Context) bool {
	if c.IsSet("bundle") {
		return true
	}
	if c.NArg() == 1 {
		if _, err := os.Stat("config.json"); err == nil {
			return true
		}
	}
	return false
}
