package minirun_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/minirun/minirun"
)

// A harness runs a bundle's container and reads its status. Init must come
// first in main: the container's init is a re-execution of this program.
func Example() {
	minirun.Init()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt := &minirun.Runtime{Root: "/run/my-harness"}
	code, err := rt.Run(ctx, "job-1", "/path/to/bundle", nil, minirun.IO{Stdout: os.Stdout, Stderr: os.Stderr})
	switch {
	case errors.Is(err, minirun.ErrInvalid):
		fmt.Println("bad config:", err)
	case err != nil:
		fmt.Println("minirun would exit", minirun.ExitCode(err), "for", err)
	default:
		fmt.Println("the container exited", code)
	}
}

// A harness runs a command in an image from the store, as
// `minirun run --rm --security-opt seccomp=unconfined busybox unshare --user true`.
func ExampleRuntime_RunImage() {
	minirun.Init()
	rt := &minirun.Runtime{Root: "/run/my-harness", Store: "/var/lib/my-harness"}
	id, code, err := rt.RunImage(context.Background(), &minirun.ImageOptions{
		Image: "busybox", Cmd: []string{"unshare", "--user", "true"}, Remove: true,
		SecurityOpts: []string{"seccomp=unconfined"},
	}, minirun.IO{Stdout: os.Stdout, Stderr: os.Stderr})
	switch {
	case errors.Is(err, minirun.ErrNotFound):
		fmt.Println("import the image first:", err)
	case err != nil:
		fmt.Println("minirun would exit", code, "for", err)
	default:
		fmt.Println("container", id[:12], "exited", code)
	}
}
