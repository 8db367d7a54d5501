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

// Ps is `ps ID [PS OPTIONS]`.
func Ps() *cli.Command {
	return &cli.Command{
		Name:      "ps",
		Usage:     "list a container's processes (host pids); extra arguments go to ps(1)",
		ArgsUsage: "ID [PS OPTIONS]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return fmt.Errorf("ps: want ID [PS OPTIONS]")
			}
			ctr, err := RuntimeOf(c).Load(c.Args().First())
			if err != nil {
				return fmt.Errorf("ps: %w", err)
			}
			pids, err := ctr.Processes()
			if err != nil {
				return err
			}
			switch c.String("format") {
			case "json":
				if pids == nil {
					pids = []int{}
				}
				return printJSONLine(pids)
			case "table":
				return psTable(pids, c.Args().Tail())
			}
			return fmt.Errorf("ps: unknown format %q (want table or json)", c.String("format"))
		},
	}
}

// psTable runs the host's ps (with -ef unless told otherwise) and keeps
// the header and the container's lines, as runc does.
func psTable(pids []int, args []string) error {
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
