package cmdline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/state"
)

// A command that names a container takes either contract's reference
// (docs/cli.md), told apart here, once:
//
//   - a container registered under --root by that id is runc's form: the
//     engines' ids, used as they are, with runc's errors and statuses;
//   - anything else is Docker's: a name, a full id or a unique id prefix,
//     looked up in the image store's records (STORE/containers/ID/
//     container.json), and the command's failures are Docker's (125).
//
// The lean minirun has no store code: it hands such a command, as it
// is, to minirun-docker (ForwardDocker), which resolves it. A reference
// that neither knows fails as the runc command would, in its words.

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
	if registered(c.String("root"), ref) {
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

// registered says whether --root holds a container by the id ref.
func registered(root, ref string) bool {
	if state.CheckID(ref) != nil {
		return false
	}
	_, err := os.Lstat(filepath.Join(state.Dir(root, ref), state.StateFile))
	return err == nil
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
