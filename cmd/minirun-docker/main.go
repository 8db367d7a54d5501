// Command minirun-docker is minirun with its Docker-style front: the
// commands of minirun, and run IMAGE, pull, import, images, rmi, rm and
// spec --docker over the image store and the registry client. It is
// installed beside minirun, which hands it those commands; on its own it
// needs neither minirun nor anything else.
package main

import (
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/cmd/internal/cmdline/dockercmd"
	"github.com/minirun/minirun/docker"
)

func main() {
	cmdline.Main(cmdline.App{
		// A container's init, a user namespace holder, a layer-shifting
		// helper or a reaper (which removes a --rm run's layer too).
		Roles: docker.Init,
		// A command a lean minirun handed on goes on here, if both are
		// of one build.
		TakesForwarded: true,
		// A name or an id prefix, through the store's records.
		ResolveContainer: dockercmd.ResolveContainer,
		Commands:         commands(),
	})
}

// commands are minirun-docker's, in the order help lists them.
func commands() []*cli.Command {
	return []*cli.Command{
		cmdline.Checkpoint(),
		cmdline.Restore(),
		dockercmd.Completion(),
		dockercmd.Complete(),
		dockercmd.Cp(),
		cmdline.Create(dockercmd.CreateImage),
		cmdline.Start(dockercmd.StartContainers),
		cmdline.Events(),
		cmdline.Exec(dockercmd.Exec()),
		dockercmd.Export(),
		cmdline.Features(),
		dockercmd.Pull(),
		dockercmd.Import(),
		dockercmd.Images(),
		dockercmd.Rmi(),
		dockercmd.Network(),
		dockercmd.Inspect(),
		dockercmd.Top(),
		dockercmd.Stats(),
		dockercmd.Port(),
		dockercmd.Tag(),
		dockercmd.Save(),
		dockercmd.Load(),
		dockercmd.Push(),
		cmdline.Kill(dockercmd.KillContainers),
		dockercmd.Logs(),
		cmdline.Delete(),
		cmdline.Pause(),
		cmdline.Resume(),
		cmdline.Unpause(),
		cmdline.Ps(dockercmd.PsContainers),
		dockercmd.Restart(),
		dockercmd.Rm(),
		cmdline.Run(dockercmd.RunImage),
		cmdline.Seccomp(),
		dockercmd.Spec(),
		cmdline.State(),
		dockercmd.Stop(),
		dockercmd.Wait(),
		cmdline.List(),
		cmdline.Update(),
		dockercmd.Volume(),
	}
}
