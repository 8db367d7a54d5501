package cmdline

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// Ps is `ps`, in two forms told apart by a container id (docs/cli.md):
// runc's `ps [-f json] ID [PS OPTIONS]` lists one container's processes;
// Docker's `ps [-a] [-q] [--filter ...] [--format ...]`, with no id, lists
// the containers (containers, minirun-docker's, or the lean program's
// hand-on to it). The flags are both forms' in one set; -f is runc's
// --format and Docker's --filter, read by the form.
func Ps(containers cli.ActionFunc) *cli.Command {
	return &cli.Command{
		Name:      "ps",
		Usage:     "list containers (Docker style), or a container's processes (runc style: ps ID; extra arguments go to ps(1))",
		ArgsUsage: "[ID [PS OPTIONS]]",
		// -aq is -a -q, as Docker users type it.
		UseShortOptionHandling: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Usage: "with ID: table or json; without: a Go template, table TEMPLATE or json"},
			&cli.GenericFlag{Name: "f", Value: &listValue{}, Usage: "with ID: --format; without: --filter"},
			&cli.GenericFlag{Name: "filter", Value: &listValue{}, Usage: "KEY=VALUE: status, name, label, id, exited (repeatable)"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "list the containers that are not running too"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print ids only"},
			&cli.IntFlag{Name: "last", Aliases: []string{"n"}, Value: -1, Usage: "the N most recently created containers, in any state"},
			&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "the most recently created container, in any state"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "don't shorten ids and commands"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				dockerForm()
				return containers(c)
			}
			for _, f := range []string{"all", "quiet", "last", "latest", "no-trunc", "filter"} {
				if c.IsSet(f) {
					return fmt.Errorf("ps: --%s lists containers: it takes no container id", f)
				}
			}
			format := c.String("format")
			if fs := takeList(c, "f"); len(fs) > 0 {
				format = fs[len(fs)-1]
			}
			ctr, err := RuntimeOf(c).Load(c.Args().First())
			if err != nil {
				return fmt.Errorf("ps: %w", err)
			}
			pids, err := ctr.Processes()
			if err != nil {
				return err
			}
			switch format {
			case "json":
				if pids == nil {
					pids = []int{}
				}
				return printJSONLine(pids)
			case "table", "":
				return PsTable(pids, c.Args().Tail())
			}
			return fmt.Errorf("ps: unknown format %q (want table or json)", format)
		},
	}
}

// PsFilters are Docker ps's --filter values (-f included).
func PsFilters(c *cli.Context) []string {
	return append(takeList(c, "filter"), takeList(c, "f")...)
}

// psHasID says whether ps's unparsed arguments name a container: runc's
// form, which classify must know before parsing.
func psHasID(args []string, flags []cli.Flag) bool {
	for j := 0; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "--":
			return j+1 < len(args)
		case !isFlag(a):
			return true
		case takesValue(flags, a) || combinedTakesValue(flags, a):
			j++
		}
	}
	return false
}

// combinedTakesValue says whether a is short flags run together (-aqf)
// whose last one takes the next argument as its value.
func combinedTakesValue(flags []cli.Flag, a string) bool {
	if len(a) < 3 || a[1] == '-' || strings.Contains(a, "=") {
		return false
	}
	return takesValue(flags, "-"+a[len(a)-1:])
}

// PsTable runs the host's ps (with -ef unless told otherwise) and keeps
// the header and the container's lines, as runc does.
func PsTable(pids []int, args []string) error {
	if len(args) == 0 {
		args = []string{"-ef"}
	}
	out, err := exec.Command("ps", args...).Output()
	if err != nil {
		return fmt.Errorf("ps: run ps %v: %w", args, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	if !sc.Scan() {
		return nil
	}
	header := sc.Text()
	col := slices.Index(strings.Fields(header), "PID")
	if col < 0 {
		return fmt.Errorf("ps: no PID column in %q", header)
	}
	fmt.Fprintln(os.Stdout, header)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) <= col {
			continue
		}
		if pid, err := strconv.Atoi(f[col]); err == nil && slices.Contains(pids, pid) {
			fmt.Fprintln(os.Stdout, sc.Text())
		}
	}
	return nil
}
