package dockercmd

import (
	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/docker"
)

// Exec is exec's Docker form for cmdline.Exec: users and env files as
// Docker reads them. Names and id prefixes are ResolveContainer's.
func Exec() *cmdline.DockerExec {
	return &cmdline.DockerExec{User: docker.ExecUser, Env: docker.ExecEnv}
}
