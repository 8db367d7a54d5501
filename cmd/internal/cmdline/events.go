package cmdline

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
)

// event is runc's events line: {"type":"stats","id":...,"data":{...}}.
type event struct {
	Type string           `json:"type"`
	ID   string           `json:"id"`
	Data *container.Stats `json:"data,omitempty"`
}

// Events is `events [--stats] ID`.
func Events() *cli.Command {
	return &cli.Command{
		Name:      "events",
		Usage:     "print a container's resource usage as JSON lines (--stats: once)",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "stats", Usage: "print one stats event and exit"},
			&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats events"},
		},
		Action: func(c *cli.Context) error {
			ctr, err := loadContainer(c, "events")
			if err != nil {
				return err
			}
			id := ctr.ID
			enc := json.NewEncoder(os.Stdout)
			st, err := ctr.State()
			if err != nil {
				return err
			}
			stats := func() error {
				s, err := ctr.Stats()
				if err != nil {
					return err
				}
				return enc.Encode(event{Type: "stats", ID: id, Data: s})
			}
			if c.Bool("stats") {
				return stats()
			}
			if st.Status == specs.StateStopped {
				return nil
			}
			if c.Duration("interval") <= 0 {
				return fmt.Errorf("events: --interval %v: must be positive", c.Duration("interval"))
			}
			// OOM kills are reported as they happen; a host without a memory
			// controller for the container just has none to report.
			var oom <-chan struct{}
			if ch, stop, err := ctr.WatchOOM(); err == nil && ch != nil {
				oom = ch
				defer stop()
			}
			tick := time.NewTicker(c.Duration("interval"))
			defer tick.Stop()
			// events ends soon after the container stops or is deleted, not
			// an interval later: engines and scripts wait for it to end.
			gone := time.NewTicker(200 * time.Millisecond)
			defer gone.Stop()
			if err := stats(); err != nil {
				return err
			}
			for {
				select {
				case <-tick.C:
					if err := stats(); err != nil {
						return nil // deleted meanwhile
					}
				case _, ok := <-oom:
					if !ok {
						oom = nil
						continue
					}
					if err := enc.Encode(event{Type: "oom", ID: id}); err != nil {
						return err
					}
				case <-gone.C:
					if st, err := ctr.State(); err != nil || st.Status == specs.StateStopped {
						return nil
					}
				}
			}
		},
	}
}
