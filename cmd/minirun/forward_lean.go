//go:build lean

package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container"
)

func init() {
	for _, d := range dockerCommands {
		commands = append(commands, &cli.Command{
			Name: d.Name, Usage: d.Usage,
			// Its flags are the full build's to parse, --help included.
			SkipFlagParsing: true,
			Action:          func(*cli.Context) error { return forwardDocker() },
		})
	}
}

// runImage is `run IMAGE ...`: the full build's.
func runImage(*cli.Context) error { return forwardDocker() }

// forwardDocker replaces this process with minirun-docker, given the same
// arguments and environment. It runs from the handle whose owner and mode
// were checked, as minirun-init does.
func forwardDocker() error {
	if os.Getenv(forwardedEnv) != "" {
		return errors.New("forward: " + DockerBinary + " handed the command back: it is a lean build too")
	}
	f, ok := container.OpenSibling(DockerBinary)
	if !ok {
		return fmt.Errorf("forward: %s is not beside minirun, or not safe to run (owner, mode): install both from one build", DockerBinary)
	}
	// O_PATH and close-on-exec: execve opens it through /proc before it
	// closes the descriptor.
	err := unix.Exec("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), os.Args, append(os.Environ(), forwardedEnv+"="+forwardedBuild()))
	return fmt.Errorf("forward: exec %s: %w", DockerBinary, err)
}
