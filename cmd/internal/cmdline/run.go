package cmdline

import (
	"os"
	"strings"

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
		Description: "Docker's form: run [OPTIONS] IMAGE [COMMAND] [ARG...], with the options below.\n\n" +
			"runc's form, what engines call: run -b|--bundle DIR [--detach|--keep] [--pid-file FILE]\n" +
			"[--console-socket SOCKET] [--no-new-keyring] [--preserve-fds N] ID: create and start the\n" +
			"container of the bundle DIR (its config.json) as ID; without -b, a lone ID with a config.json\n" +
			"in the current directory. --bundle, --keep, --pid-file, --console-socket, --no-new-keyring,\n" +
			"--preserve-fds and --no-pivot are runc's only, so the options below leave them out.",
		Flags: append(append(append(append(runcRunFlags(), dockerRunFlags()...), dockerLifeFlags()...), seccompWatchFlags()...),
			// Help without -h, which is Docker's --hostname (runHelpArgs).
			&cli.BoolFlag{Name: "help", Usage: "show help"}),
		// -it is -i -t, as Docker users type it.
		UseShortOptionHandling: true,
		// -h is Docker's --hostname here; --help (dockerRunFlags) is
		// help, and so is runc's `run -h` alone (runHelpArgs).
		HideHelp: true,
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

// runHelpArgs reads run's -h. Docker's run has no -h for help: there it
// is --hostname, and always takes a value; runc's `run -h` is help. So a
// -h among run's flags with a value after it becomes --hostname, and one
// at the end --help. The flag is not an alias of --hostname, because
// urfave/cli asks every command's "h" whether help was wanted, and a
// hostname such as "true" would say yes.
func runHelpArgs(args []string, globals []cli.Flag, cmds []*cli.Command) []string {
	i := skipFlags(args, 1, globals)
	if i >= len(args) || args[i] != "run" {
		return args
	}
	run := findCommand(cmds, "run")
	out := append([]string(nil), args...)
	for j := i + 1; j < len(out) && isFlag(out[j]); j++ {
		switch a := out[j]; {
		case a == "-h" && j == len(out)-1:
			out[j] = "--help"
		case a == "-h":
			out[j] = "--hostname"
			j++
		case strings.HasPrefix(a, "-h="):
			out[j] = "--hostname=" + strings.TrimPrefix(a, "-h=")
		case takesValue(run.Flags, a):
			j++
		}
	}
	return out
}
