package cmdline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/state"
)

// A command that names a container takes either contract's reference
// (docs/cli.md). One rule tells them apart, for every such command
// (refForm; create, start and kill add their flags first, form.go):
//
//  1. an id registered under --root by an engine (a state directory, and
//     no Docker-front record for that id in --store) is runc's: used
//     exactly as it is, with runc's errors and statuses;
//  2. a Docker-front container's name, full id or any prefix of its id
//     (as Docker, down to one character), in the store's records
//     (STORE/containers/ID/container.json), is Docker's: its failures
//     are Docker's (125), an ambiguous prefix one of them;
//  3. anything else is runc's, so that a missing container gets runc's
//     error and status, as engines expect.
//
// Rule 1 costs two stats and comes first: an engine's path never reads
// the store. The lean minirun has no store code: it hands a reference
// of rule 2 on, as it is, to minirun-docker (ForwardDocker), which
// resolves it.

// refKind is a reference's form under the rule.
type refKind int

const (
	runcRef   refKind = iota // rule 1 or 3
	dockerRef                // rule 2
)

// refForm applies the rule to ref.
func refForm(c *cli.Context, ref string) refKind {
	if engineRef(c, ref) || !frontRef(c.String("store"), ref) {
		return runcRef
	}
	return dockerRef
}

// plainRef is a reference that can be a file name: no path in it.
func plainRef(ref string) bool {
	return ref != "" && ref != "." && ref != ".." && !strings.ContainsAny(ref, "/\x00")
}

// engineRef is rule 1: ref is registered under --root, and not by the
// Docker front.
func engineRef(c *cli.Context, ref string) bool {
	if state.CheckID(ref) != nil {
		return false
	}
	if _, err := os.Lstat(filepath.Join(state.Dir(c.String("root"), ref), state.StateFile)); err != nil {
		return false
	}
	_, err := os.Lstat(filepath.Join(c.String("store"), "containers", ref, "container.json"))
	return err != nil
}

// frontRef is rule 2: ref names a container of the Docker front in
// store, its full id, an id prefix or its name, as docker.Find resolves
// them (the lean program reads the records itself rather than link the
// front). An ambiguous prefix is still Docker's, for Find to refuse.
func frontRef(store, ref string) bool {
	if !plainRef(ref) {
		return false
	}
	dir := filepath.Join(store, "containers")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ref) {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "container.json")); err == nil {
				return true
			}
		}
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "container.json"))
		if err != nil {
			continue
		}
		var r struct{ Name string }
		if json.Unmarshal(data, &r) == nil && r.Name == ref {
			return true
		}
	}
	return false
}

// ContainerResolver turns a Docker reference into the id of a container
// the store's records hold: errdefs.ErrNotFound when none, ErrInvalid
// for an ambiguous prefix. minirun-docker gives one (App.ResolveContainer).
type ContainerResolver func(c *cli.Context, ref string) (id string, err error)

// resolveRecord is the program's resolver; nil in the lean minirun.
var resolveRecord ContainerResolver

// ContainerRef is the id under --root that ref names, by the rule above.
// In the lean minirun a reference it doesn't know is handed on, and
// ContainerRef returns only if that can't be done.
func ContainerRef(c *cli.Context, ref string) (string, error) {
	if engineRef(c, ref) {
		return ref, nil
	}
	_, runcWord := runcFailure[c.Command.Name]
	if resolveRecord == nil {
		if storeHasContainers(c.String("store")) {
			// Returns only when minirun-docker can't be run: then the
			// runc command's own error says what is missing.
			err := ForwardDocker(c)
			if !runcWord {
				return "", err
			}
		}
		return ref, nil
	}
	id, err := resolveRecord(c, ref)
	switch {
	case err == nil:
		dockerForm()
		return id, nil
	case errors.Is(err, errdefs.ErrNotFound) && runcWord:
		return ref, nil // runc's "container X: container does not exist"
	}
	dockerForm()
	return "", fmt.Errorf("%s: %w", c.Command.Name, err)
}

// LoadRef is the container the command's one argument names
// (ContainerRef), as loadContainer is for an id.
func LoadRef(c *cli.Context) (*container.Container, error) {
	ref, err := oneID(c)
	if err != nil {
		return nil, err
	}
	return loadRef(c, ref)
}

// LoadRefArg is the container ref names (ContainerRef), for a command
// whose reference is one of several arguments.
func LoadRefArg(c *cli.Context, ref string) (*container.Container, error) { return loadRef(c, ref) }

func loadRef(c *cli.Context, ref string) (*container.Container, error) {
	id, err := ContainerRef(c, ref)
	if err != nil {
		return nil, err
	}
	ctr, err := RuntimeOf(c).Load(id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Command.Name, err)
	}
	return ctr, nil
}

// onRef is onID for a command that takes either form's reference.
func onRef(f func(c *cli.Context, ctr *container.Container) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		ctr, err := LoadRef(c)
		if err != nil {
			return err
		}
		return f(c, ctr)
	}
}

// storeHasContainers says whether the store at dir holds any container
// record at all, without reading them: if not, nothing is handed on,
// and an engine's host without a store never pays for the forward.
func storeHasContainers(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "containers"))
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) > 0
}

// echoDockerRef prints the command's reference once it succeeded, as
// Docker's pause, unpause and update do; runc's form prints nothing.
func echoDockerRef(c *cli.Context, err error) error {
	if err == nil && !invocation.runc {
		fmt.Println(c.Args().First())
	}
	return err
}

// dockerForm makes this command line's failures Docker's (125, 126,
// 127), once a reference has been found to be Docker's.
func dockerForm() { invocation.runc = false }
