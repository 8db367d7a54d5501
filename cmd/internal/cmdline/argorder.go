package cmdline

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// runc's CLI (urfave/cli v1) also takes a command's flags after its
// arguments: `runc update ID --memory 1M`, `runc delete ID --force`, and
// scripts written against runc rely on it. urfave/cli v2 stops reading
// flags at the first argument, so for the runc commands whose arguments
// are a fixed few, the flags are moved in front before parsing. exec, run
// and ps are left alone: what follows their first argument belongs to the
// process (runc skips the reordering for them too).
var flagsAfterArgs = map[string]bool{
	"create": true, "start": true, "state": true, "kill": true, "delete": true,
	"pause": true, "resume": true, "update": true, "events": true, "list": true, "spec": true,
}

// reorderArgs returns args (os.Args) with the flags of a command in
// flagsAfterArgs moved before its arguments; everything else unchanged.
func reorderArgs(args []string, globals []cli.Flag, cmds []*cli.Command) []string {
	i := skipFlags(args, 1, globals)
	if i >= len(args) {
		return args
	}
	cmd := findCommand(cmds, args[i])
	if cmd == nil || !flagsAfterArgs[cmd.Name] {
		return args
	}
	if cmd.Name == "create" && positionals(args[i+1:], cmd.Flags) > 1 {
		return args // Docker's create IMAGE COMMAND...: the rest is the command's
	}
	var flags, pos []string
	for j := i + 1; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			// What follows is arguments only; the marker goes after the
			// flags, where the parser expects it.
			pos = append([]string{"--"}, append(pos, args[j+1:]...)...)
			break
		}
		if !isFlag(a) {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		if takesValue(cmd.Flags, a) && j+1 < len(args) {
			j++
			flags = append(flags, args[j])
		}
	}
	out := append([]string(nil), args[:i+1]...)
	return append(append(out, flags...), pos...)
}

// skipFlags returns the index of the first argument at or after i that is
// not one of flags (or the value of one).
func skipFlags(args []string, i int, flags []cli.Flag) int {
	for i < len(args) && isFlag(args[i]) {
		if takesValue(flags, args[i]) {
			i++
		}
		i++
	}
	return i
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' && a != "--" }

// takesValue says whether the flag a (--name, -n, or with =value) takes
// the next argument as its value. An unknown flag takes none: the parser
// then reports it.
func takesValue(flags []cli.Flag, a string) bool {
	if strings.Contains(a, "=") {
		return false
	}
	name := strings.TrimLeft(a, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			switch f := f.(type) {
			case *cli.BoolFlag, boolFlag:
				return false
			case genericFlag:
				b, ok := f.Value.(interface{ IsBoolFlag() bool })
				return !ok || !b.IsBoolFlag()
			case *cli.GenericFlag:
				b, ok := f.Value.(interface{ IsBoolFlag() bool })
				return !ok || !b.IsBoolFlag()
			}
			return true
		}
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// positionals counts the arguments in args that are not flags or their
// values, as far as the second.
func positionals(args []string, flags []cli.Flag) int {
	n := 0
	for j := 0; j < len(args) && n < 2; j++ {
		switch a := args[j]; {
		case a == "--":
			return n + min(len(args)-j-1, 2)
		case !isFlag(a):
			n++
		case takesValue(flags, a):
			j++
		}
	}
	return n
}
