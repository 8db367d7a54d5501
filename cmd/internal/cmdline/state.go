package cmdline

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
)

// State is `state ID`.
func State() *cli.Command {
	return &cli.Command{
		Name:      "state",
		Usage:     "print a container's OCI state as JSON",
		ArgsUsage: "ID",
		Action: onID(func(c *cli.Context, ctr *container.Container) error {
			st, err := ctr.State()
			if err != nil {
				return err
			}
			return printJSON(st)
		}),
	}
}

// List is `list`.
func List() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list containers",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print ids only"},
		},
		Action: func(c *cli.Context) error {
			sts, err := RuntimeOf(c).List()
			if err != nil {
				return err
			}
			switch {
			case c.Bool("quiet"):
				for _, st := range sts {
					fmt.Println(st.ID)
				}
				return nil
			case c.String("format") == "json":
				out := make([]listEntry, 0, len(sts)) // engines decode a list, not null
				for _, st := range sts {
					out = append(out, listEntry{
						Version: st.Version, ID: st.ID, Pid: st.Pid, Status: string(st.Status), Bundle: st.Bundle,
						Rootfs: st.Rootfs, Created: st.Created, Annotations: st.Annotations, Owner: st.Owner,
					})
				}
				return printJSONLine(out)
			case c.String("format") != "table":
				return fmt.Errorf("list: unknown format %q (want table or json)", c.String("format"))
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
			for _, st := range sts {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", st.ID, st.Pid, st.Status, st.Bundle, st.Created.Format(time.RFC3339Nano), st.Owner)
			}
			return tw.Flush()
		},
	}
}

// listEntry is one container of `list --format json`, with runc's fields
// in runc's order: scripts match the line as text.
type listEntry struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// printJSONLine prints v as one line, as runc's list and ps do: scripts
// read those outputs line by line.
func printJSONLine(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	fmt.Println(string(data))
	return nil
}

// printJSON prints v indented, as runc's state does.
func printJSON(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(data))
	return nil
}
