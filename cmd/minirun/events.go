package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container"
)

// event is runc's events line: {"type":"stats","id":...,"data":{...}}.
type event struct {
	Type string         `json:"type"`
	ID   string         `json:"id"`
	Data *cgroups.Stats `json:"data,omitempty"`
}

var eventsCommand = &cli.Command{
	Name:      "events",
	Usage:     "print a container's resource usage as JSON lines (--stats: once)",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "stats", Usage: "print one stats event and exit"},
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats events"},
	},
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		root := c.String("root")
		enc := json.NewEncoder(os.Stdout)
		for {
			st, err := container.State(root, id)
			if err != nil {
				return err
			}
			if st.Status == specs.StateStopped && !c.Bool("stats") {
				return nil
			}
			stats, err := container.ReadStats(root, id)
			if err != nil {
				return err
			}
			if err := enc.Encode(event{Type: "stats", ID: id, Data: stats}); err != nil {
				return err
			}
			if c.Bool("stats") {
				return nil
			}
			time.Sleep(c.Duration("interval"))
		}
	},
}

func init() { commands = append(commands, eventsCommand) }
