package docker_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/minirun/minirun"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/image"
)

// A harness runs a command in an image from the store, as
// `minirun run --rm --security-opt seccomp=unconfined busybox unshare --user true`.
// Such a program calls docker.Init, which also serves the image store's helpers.
func ExampleRun() {
	docker.Init()
	store, err := image.Open("/var/lib/my-harness")
	if err != nil {
		fmt.Println(err)
		return
	}
	rt := &minirun.Runtime{Root: "/run/my-harness"}
	res, err := docker.Run(context.Background(), rt, store, &docker.RunOptions{
		Image: "busybox", Cmd: []string{"unshare", "--user", "true"}, Remove: true,
		SecurityOpts: []string{"seccomp=unconfined"},
	}, minirun.IO{Stdout: os.Stdout, Stderr: os.Stderr})
	switch {
	case errors.Is(err, minirun.ErrNotFound):
		fmt.Println("import the image first:", err)
	case err != nil:
		fmt.Println("minirun would exit", minirun.ExitCode(err), "for", err)
	default:
		fmt.Println("container", res.ID[:12], "exited", res.Status)
	}
}
