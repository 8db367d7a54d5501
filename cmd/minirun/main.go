// Command minirun is a small OCI container runtime: the commands engines
// call (runc's), and the seccomp tools. The Docker-style commands are
// minirun-docker's (cmd/minirun-docker): this program hands them on, with
// the same arguments, to the minirun-docker installed beside it, so it is
// built without the image store, the registry client and the Docker front
// (cmd/internal/cmdline/forward.go says why).
package main

import (
	// One P from the start (internal/onep says why this early), and the
	// heap in huge pages, from before most package initialisers
	// (Go runs them in import-path order, this one as soon as syscall
	// is ready: 14th of about 250).
	_ "github.com/minirun/minirun/internal/hugeheap"
	_ "github.com/minirun/minirun/internal/onep"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/container"
)

func main() {
	cmdline.Main(cmdline.App{
		// A container's init, a user namespace holder or a reaper. (The
		// layer-shifting helper and the reaper of a `run IMAGE --rm`
		// belong to minirun-docker, which starts them as itself.)
		Roles:    func() { container.RunRole(nil) },
		Commands: commands(),
	})
}

// commands are minirun's, in the order help lists them.
func commands() []*cli.Command {
	return []*cli.Command{
		cmdline.Checkpoint(),
		cmdline.Restore(),
		cmdline.Forward("completion"),
		cmdline.Forward("__complete"),
		cmdline.Forward("cp"),
		// runc's create, start and kill here; Docker's in minirun-docker.
		cmdline.Create(cmdline.ForwardDocker),
		cmdline.Start(cmdline.ForwardDocker),
		cmdline.Events(),
		cmdline.Exec(nil),
		cmdline.Forward("export"),
		cmdline.Features(),
		cmdline.Forward("pull"),
		cmdline.Forward("import"),
		cmdline.Forward("images"),
		cmdline.Forward("rmi"),
		cmdline.Forward("tag"),
		cmdline.Forward("save"),
		cmdline.Forward("load"),
		cmdline.Forward("push"),
		cmdline.Forward("restart"),
		cmdline.Forward("rm"),
		cmdline.Forward("spec"),
		cmdline.Forward("network"),
		cmdline.Forward("stop"),
		cmdline.Forward("wait"),
		cmdline.Forward("unpause"),
		cmdline.Forward("inspect"),
		cmdline.Forward("top"),
		cmdline.Forward("stats"),
		cmdline.Forward("port"),
		cmdline.Kill(cmdline.ForwardDocker),
		cmdline.Forward("logs"),
		cmdline.Delete(),
		cmdline.Pause(),
		cmdline.Resume(),
		// ps ID here; Docker's ps (no ID) in minirun-docker.
		cmdline.Ps(cmdline.ForwardDocker),
		// run -b BUNDLE ID here; run IMAGE in minirun-docker.
		cmdline.Run(cmdline.ForwardDocker),
		cmdline.Seccomp(),
		cmdline.State(),
		cmdline.List(),
		cmdline.Update(),
		cmdline.Forward("volume"),
	}
}
