package cmdline

import (
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
)

// Features is `features`.
func Features() *cli.Command {
	return &cli.Command{
		Name:  "features",
		Usage: "print the runtime-spec features minirun implements, as JSON",
		Action: func(c *cli.Context) error {
			return printJSON(container.Features(commit()))
		},
	}
}
