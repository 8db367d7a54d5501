package main

import "github.com/minirun/minirun/internal/version"

// bin/minirun is built lean (-tags lean): the OCI commands engines call
// (create, start, run -b, exec, kill, delete, state, ...) and the seccomp
// tools, without the image store, the registry client and the Docker
// front. Package initialisers of those libraries alone took 0.8 ms of
// each invocation's start, and create + start + delete pays it three
// times. The Docker-style commands are handed, with the same arguments,
// to the full build beside it, minirun-docker (forward_lean.go). Both come
// from one build: `make build` puts them in bin/.

// DockerBinary is the full build of this command, installed beside minirun.
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

// dockerCommands are the commands only the full build has: the lean one
// lists them in its help and hands them on. TestDockerCommandsMatch keeps
// the list equal to the full build's commands.
var dockerCommands = []struct{ Name, Usage string }{
	{"pull", "fetch an image from a registry"},
	{"import", "store an image from a rootfs directory, a .tar/.tar.gz of one, an OCI layout or a docker save tarball"},
	{"images", "list stored images"},
	{"rmi", "remove images and the layers no other image uses"},
	{"rm", "remove containers made by `run IMAGE`: their writable layer and record"},
	{"spec", "write a starting config.json: runc's default, or Docker's with --docker"},
}
