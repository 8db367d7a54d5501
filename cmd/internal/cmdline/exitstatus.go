package cmdline

import (
	"errors"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/errdefs"
)

// Exit statuses, in one place. A command line is in one of two contracts
// (docs/cli.md): runc's, which engines and runc's own scripts call, or
// Docker's and minirun's own, which people type. A container's own status
// passes through in both. When minirun fails:
//
//	runc's form (the commands in runcFailure,      1; exec 255
//	  run with a bundle)
//	Docker's form (run IMAGE, pull, import,        125; 126 when the command
//	  images, rmi, rm, seccomp ..., anything else)   can't be invoked, 127 when
//	                                                 it isn't found
//
// The error's class (errdefs) picks Docker's number; runc's depends on
// the command only, as runc's does.

// runcFailure is the status each of runc's commands exits with when it
// fails, as in runc v1.1.5: 1 (its fatal), and 255 for exec, whose
// failure to run the process (or to find the container) runc tells apart
// from the process's own status that way. A process that runc run or
// create can't start (not found, not executable) is a failure of the
// command: 1.
var runcFailure = map[string]int{
	"checkpoint": 1, "create": 1, "delete": 1, "events": 1, "exec": 255, "features": 1,
	"kill": 1, "list": 1, "pause": 1, "ps": 1, "restore": 1, "resume": 1, "run": 1,
	"spec": 1, "start": 1, "state": 1, "update": 1,
}

// invocation is this command line's command and form. classify fills it
// from the arguments before they are parsed, so that a usage error or a
// failing global flag exits with the command's number too; run's action
// settles run's form once its flags are parsed (setRunForm).
var invocation struct {
	command string
	runc    bool
}

// classify finds args' command among cmds (after the global flags) and
// its form.
func classify(args []string, globals []cli.Flag, cmds []*cli.Command) {
	i := skipFlags(args, 1, globals)
	if i >= len(args) {
		return
	}
	cmd := findCommand(cmds, args[i])
	if cmd == nil {
		return
	}
	invocation.command = cmd.Name
	_, invocation.runc = runcFailure[cmd.Name]
	switch cmd.Name {
	case "run":
		invocation.runc = bundleArgs(args[i+1:], cmd.Flags)
	case "ps":
		invocation.runc = psHasID(args[i+1:], cmd.Flags)
	}
	if cmd.Name == "exec" && dockerExecArgs(args[i+1:], cmd.Flags) {
		invocation.runc = false
	}
}

// dockerExecArgs says whether exec's unparsed arguments use one of
// Docker's own exec flags (dockerExecFlags), alone or in a group such as
// -it, so that a usage error in Docker's form exits 125. The reference
// decides the rest once the flags are parsed (formOfExec).
func dockerExecArgs(args []string, flags []cli.Flag) bool {
	docker := map[string]bool{"i": true, "w": true}
	for _, f := range dockerExecFlags {
		docker[f] = true
	}
	for j := 0; j < len(args) && isFlag(args[j]); j++ {
		a := args[j]
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if docker[name] {
			return true
		}
		if !strings.HasPrefix(a, "--") && len(name) > 1 && !defined(flags, name) && strings.ContainsAny(name, "iw") {
			return true // a group of short flags
		}
		if takesValue(flags, a) {
			j++
		}
	}
	return false
}

func defined(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// bundleArgs is bundleMode (run.go) read from run's unparsed arguments:
// a bundle flag, or a lone argument with a config.json in the current
// directory.
func bundleArgs(args []string, flags []cli.Flag) bool {
	positional := 0
	for j := 0; j < len(args) && positional < 2; j++ {
		a := args[j]
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case a == "--":
			positional += len(args) - j - 1
			j = len(args)
		case positional > 0 || !isFlag(a):
			positional++ // flag parsing ends at the first argument
		case name == "b" || name == "bundle":
			return true
		case takesValue(flags, a):
			j++
		}
	}
	if positional != 1 {
		return false
	}
	_, err := os.Stat("config.json")
	return err == nil
}

// setRunForm records run's form, once its action knows it.
func setRunForm(bundle bool) { invocation.runc = bundle }

// exitStatus is the status minirun exits with for err (nil: 0).
func exitStatus(err error) int {
	var st StatusError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &st):
		return int(st)
	case invocation.runc:
		return runcFailure[invocation.command]
	}
	return errdefs.ExitCode(err)
}
