//go:build !lean

package main

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/docker"
)

// runRole runs this process as what it was re-executed for, if anything:
// a container's init, a user namespace holder, a layer-shifting helper
// or a reaper. None returns. A command a lean minirun handed on goes on
// as minirun-docker, if both are of one build.
func runRole() {
	if from, ok := os.LookupEnv(forwardedEnv); ok {
		os.Unsetenv(forwardedEnv)
		// Run through /proc/self/fd/N, the kernel named it "N".
		if name, err := unix.BytePtrFromString(DockerBinary); err == nil {
			_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
		}
		if self := forwardedBuild(); from != self {
			classify(os.Args)
			os.Exit(report(fmt.Errorf("forward: this %s is build %s, the minirun that called it %s: install both from one build", DockerBinary, self, from)))
		}
	}
	docker.Init()
}
