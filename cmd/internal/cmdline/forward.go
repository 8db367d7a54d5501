package cmdline

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/internal/monitorproc"
	"github.com/minirun/minirun/internal/timerslack"
	"github.com/minirun/minirun/internal/version"
)

// minirun (cmd/minirun) is the lean program: the OCI commands engines call
// (create, start, run -b, exec, kill, delete, state, ...) and the seccomp
// tools, without the image store, the registry client and the Docker
// front. Package initialisers of those libraries alone took 0.8 ms of
// each invocation's start, and create + start + delete pays it three
// times. The Docker-style commands are handed, with the same arguments,
// to the full program beside it, minirun-docker (cmd/minirun-docker).
// Both come from one build: `make build` puts them in bin/.

// DockerBinary is the full program, installed beside minirun.
const DockerBinary = "minirun-docker"

// forwardedEnv marks a process a lean minirun handed on, with the lean
// build's commit: a minirun-docker of another build refuses it (as
// minirun-init refuses a config of another build), and one that is itself
// a lean build fails instead of looping. The full build removes it from
// its environment first, so nothing it starts inherits it.
const forwardedEnv = "MINIRUN_FORWARDED"

// forwardedBuild is this build's value of forwardedEnv.
func forwardedBuild() string {
	if version.Commit == "" {
		return "unknown"
	}
	return version.Commit
}

// DockerCommands are the commands only the full program has: the lean one
// lists them in its help and hands them on (Forward). minirun-docker's
// TestDockerCommandsMatch keeps the list equal to its commands.
var DockerCommands = []struct{ Name, Usage string }{
	{"pull", "fetch an image from a registry"},
	{"import", "store an image from a rootfs directory, a .tar/.tar.gz of one, an OCI layout or a docker save tarball"},
	{"images", "list stored images"},
	{"rmi", "remove images and the layers no other image uses"},
	{"network", "manage networks: create, ls, inspect, rm, prune, connect, disconnect"},
	{"tag", "give an image another name"},
	{"save", "write images as a docker save archive"},
	{"load", "store the images of a docker save archive or an OCI archive"},
	{"push", "upload an image to a registry"},
	{"rm", "remove containers made by `run IMAGE`: their writable layer and record"},
	{"cp", "copy files between a container and the host (- is a tar stream on stdin or stdout)"},
	{"export", "write a container's filesystem as a tar archive"},
	{"completion", "print a shell completion script (bash, zsh or fish)"},
	{"__complete", "print completion candidates (the shell scripts of `completion` call it)"},
	{"spec", "write a starting config.json: runc's default, or Docker's with --docker"},
	{"volume", "manage named volumes: create, ls, inspect, rm, prune"},
	{"unpause", "thaw a paused container (Docker's word for resume)"},
	{"inspect", "print containers' or images' details as Docker's JSON, or through a Go template"},
	{"top", "show a container's processes (through ps(1), -ef unless other options are given)"},
	{"stats", "show containers' CPU, memory and process counts from their cgroups"},
	{"port", "list a container's published ports"},
	{"restart", "stop containers made by `run IMAGE`, then start them again"},
	{"logs", "print a detached container's output: stdout to stdout, stderr to stderr"},
	{"stop", "stop containers made by `run IMAGE`: the stop signal, then SIGKILL after a timeout"},
	{"wait", "wait until containers made by `run IMAGE` exit, and print their exit codes"},
}

// Forward is the lean program's command name, one of DockerCommands: it
// is listed in help with the full program's usage line, and handed on to
// minirun-docker (ForwardDocker). A name not in DockerCommands is a
// programming error.
func Forward(name string) *cli.Command {
	for _, d := range DockerCommands {
		if d.Name == name {
			return &cli.Command{
				Name: d.Name, Usage: d.Usage,
				// Its flags are the full build's to parse, --help included.
				SkipFlagParsing: true,
				// __complete is the completion scripts', not a user's.
				Hidden: strings.HasPrefix(d.Name, "__"),
				Action: ForwardDocker,
			}
		}
	}
	panic("cmdline.Forward: " + name + " is not one of DockerCommands")
}

// ForwardDocker replaces this process with minirun-docker, given the same
// arguments and environment. It runs from the handle whose owner and mode
// were checked, as minirun-init does. It is the lean program's action for
// `run IMAGE` and for the commands of Forward.
func ForwardDocker(c *cli.Context) error {
	if os.Getenv(forwardedEnv) != "" {
		return errors.New("forward: " + DockerBinary + " handed the command back: it is a lean build too")
	}
	f, ok := container.OpenSibling(DockerBinary)
	if !ok {
		return fmt.Errorf("forward: %s is not beside minirun, or not safe to run (owner, mode): install both from one build", DockerBinary)
	}
	// O_PATH and close-on-exec: execve opens it through /proc before it
	// closes the descriptor.
	exe := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	env := append(os.Environ(), forwardedEnv+"="+forwardedBuild())
	if c != nil && c.Command != nil && c.Command.Name == "run" && c.Bool("detach") {
		// minirun-docker runs as a child that becomes the container's
		// monitor: one Go program's start-up, not two (monitorproc).
		code, err := monitorproc.Detach(exe, os.Args, env)
		if err != nil {
			return fmt.Errorf("forward: %w", err)
		}
		os.Exit(code)
	}
	// minirun-docker takes this thread's timer slack for its caller's.
	runtime.LockOSThread()
	_ = timerslack.Restore()
	err := unix.Exec(exe, os.Args, env)
	return fmt.Errorf("forward: exec %s: %w", DockerBinary, err)
}

// takeForwarded is minirun-docker's side: a command a lean minirun handed
// on goes on here only if both are of one build.
func takeForwarded(globals []cli.Flag, cmds []*cli.Command) {
	from, ok := os.LookupEnv(forwardedEnv)
	if !ok {
		return
	}
	os.Unsetenv(forwardedEnv)
	// Run through /proc/self/fd/N, the kernel named it "N".
	if name, err := unix.BytePtrFromString(DockerBinary); err == nil {
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
	}
	// A run -d's pipe to the lean minirun waiting for it: close-on-exec
	// before anything is started.
	monitorproc.TakeCaller()
	if self := forwardedBuild(); from != self {
		classify(os.Args, globals, cmds)
		os.Exit(report(fmt.Errorf("forward: this %s is build %s, the minirun that called it %s: install both from one build", DockerBinary, self, from)))
	}
}
