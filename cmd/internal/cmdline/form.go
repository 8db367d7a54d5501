package cmdline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

// create, start and kill are both runc's (what engines call) and
// Docker's (what people type). dockerFormOf tells them apart by the
// arguments, the one rule docs/cli.md's table states:
//
//   - a Docker-only flag (create's run flags, start -a/-i, kill -s) is
//     Docker's;
//   - a reference registered under --root by an engine (a state with no
//     Docker-front record beside its id in --store) is runc's;
//   - a reference that is a Docker-front container (name, full id or id
//     prefix in --store) is Docker's;
//   - create with -b/--bundle, or a lone argument and a config.json in
//     the current directory, is runc's, as with run; otherwise Docker's;
//   - anything else is runc's, so a missing container gets runc's error
//     and status, as engines expect.
//
// The engine check comes first and costs two stats: the engines' path
// never reads the store.
func dockerFormOf(c *cli.Context) bool {
	ref := c.Args().First()
	switch c.Command.Name {
	case "create":
		if bundleMode(c) || (c.NArg() == 1 && engineContainer(c, ref)) {
			return false
		}
		return true
	case "start":
		if c.Bool("attach") || c.Bool("interactive") || c.NArg() > 1 {
			return true
		}
	case "kill":
		if c.IsSet("signal") {
			return true
		}
	default:
		return false
	}
	if c.NArg() == 0 || engineContainer(c, ref) {
		return false
	}
	return frontContainer(c.String("store"), ref)
}

// plainRef is a reference that can be a file name: no path in it.
func plainRef(ref string) bool {
	return ref != "" && ref != "." && ref != ".." && !strings.ContainsAny(ref, "/\x00")
}

// engineContainer says whether ref is registered under --root and not by
// the Docker front.
func engineContainer(c *cli.Context, ref string) bool {
	if !plainRef(ref) {
		return false
	}
	if _, err := os.Stat(filepath.Join(c.String("root"), ref, "state.json")); err != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(c.String("store"), "containers", ref, "container.json"))
	return err != nil
}

// frontContainer says whether ref names a container of the Docker front
// in store: its full id, an id prefix of 4 or more, or its name (as
// docker.Find resolves them; the lean program reads the records itself
// rather than link the front).
func frontContainer(store, ref string) bool {
	if !plainRef(ref) {
		return false
	}
	dir := filepath.Join(store, "containers")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.Name() == ref || (len(ref) >= 4 && strings.HasPrefix(e.Name(), ref)) {
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

// setForm records the form of a create, start or kill once its action
// has told (exitstatus.go): Docker's fails with 125, runc's with 1.
func setForm(runc bool) { invocation.runc = runc }
