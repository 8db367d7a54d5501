package dockercmd

import (
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/docker"
)

// Exec is exec's Docker form for cmdline.Exec: names and short ids from
// the store's records, users and env files as Docker reads them.
func Exec() *cmdline.DockerExec {
	return &cmdline.DockerExec{Find: findContainer, User: docker.ExecUser, Env: docker.ExecEnv}
}

// findContainer is docker.Find in the --store's records. It reads the
// store without opening it, so an engine's exec of a missing container
// does not make a store.
func findContainer(c *cli.Context, ref string) (string, error) {
	r, err := docker.Find(filepath.Join(c.String("store"), "containers"), ref)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}
