package cmdline

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/internal/version"
	"github.com/minirun/minirun/seccomp"
)

// printVersion answers --version in runc's shape, under the name this
// program was called by: engines (docker info, podman info, containerd's
// tooling) and runc's version.bats read the first line's version, X.Y.Z,
// and "spec:" names the newest runtime-spec version implemented.
//
//	minirun version 0.1.0-dev
//	commit: 60933c8...
//	spec: 1.3.0
//	go: go1.26.8
//	libseccomp: 2.5.4
func printVersion(c *cli.Context) {
	w := c.App.Writer
	fmt.Fprintf(w, "%s version %s\n", c.App.Name, version.Version)
	fmt.Fprintf(w, "commit: %s\n", commit())
	fmt.Fprintf(w, "spec: %s\n", version.OCIVersion)
	fmt.Fprintf(w, "go: %s\n", runtime.Version())
	fmt.Fprintf(w, "libseccomp: %s\n", seccomp.LibraryVersion())
}

// commit is version.Commit when the build set it, else the VCS revision Go
// recorded, else "unknown".
func commit() string {
	if version.Commit != "" {
		return version.Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
