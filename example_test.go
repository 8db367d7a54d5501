package minirun_test

import (
	"context"
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
	rt, err := minirun.NewRuntime("/run/my-harness", false)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := minirun.Bundle("job-1", "/path/to/bundle")
	if err != nil {
		fmt.Println("bad bundle:", err)
		return
	}
	code, err := minirun.Run(ctx, rt, cfg, minirun.IO{Stdout: os.Stdout, Stderr: os.Stderr})
	switch {
	case err != nil:
		fmt.Println("minirun would exit", minirun.ExitCode(err), "for", err)
	default:
		fmt.Println("the container exited", code)
	}
}

// A harness drives one container through its life, as runc's create,
// start, exec, kill and delete do.
func ExampleRuntime_Create() {
	minirun.Init()
	rt := &minirun.Runtime{Root: "/run/my-harness"}
	cfg, err := minirun.Bundle("job-2", "/path/to/bundle")
	if err != nil {
		fmt.Println("bad bundle:", err)
		return
	}
	c, err := rt.Create(cfg, minirun.IO{}, minirun.Lifecycle{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Delete(true)
	if err := c.Start(); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := c.State()
	fmt.Println(st.Status)
}
