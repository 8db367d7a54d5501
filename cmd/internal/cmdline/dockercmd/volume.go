package dockercmd

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
)

// Volume is `volume create|ls|inspect|rm|prune`, Docker's, over the
// volumes in the image store (docker/volume.go).
func Volume() *cli.Command {
	return &cli.Command{
		Name:  "volume",
		Usage: "manage named volumes: create, ls, inspect, rm, prune",
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "make a volume (with no NAME, a random one)",
				ArgsUsage: "[NAME]",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "KEY=VALUE"},
					&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "local", Usage: "local only"},
					&cli.StringFlag{Name: "name", Usage: "the volume's name, as the argument"},
				},
				Action: volumeCreate,
			},
			{
				Name:    "ls",
				Aliases: []string{"list"},
				Usage:   "list volumes",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print names only"},
					&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "name=PART, label=KEY[=VALUE], dangling=true|false, driver=local"},
				},
				Action: volumeLs,
			},
			{
				Name:      "inspect",
				Usage:     "print volumes as JSON",
				ArgsUsage: "NAME...",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "a Go template, applied to each volume"}},
				Action:    volumeInspect,
			},
			{
				Name:      "rm",
				Aliases:   []string{"remove"},
				Usage:     "remove volumes no container uses",
				ArgsUsage: "NAME...",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "a missing volume is not an error"}},
				Action:    volumeRm,
			},
			{
				Name:   "prune",
				Usage:  "remove every volume no container (running or stopped) uses",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"}},
				Action: volumePrune,
			},
		},
	}
}

// storeRoot opens the store the global --store names (making it if
// needed) and returns its root.
func storeRoot(c *cli.Context) (string, error) {
	s, err := openImageStore(c)
	if err != nil {
		return "", err
	}
	return s.Root, nil
}

func volumeCreate(c *cli.Context) error {
	if c.NArg() > 1 {
		return errors.New("volume create: at most one NAME")
	}
	if d := c.String("driver"); d != "local" {
		return fmt.Errorf("volume create: driver %q: minirun has the local driver only", d)
	}
	name := c.Args().First()
	if n := c.String("name"); n != "" {
		if name != "" && name != n {
			return fmt.Errorf("volume create: two names, %q and %q", name, n)
		}
		name = n
	}
	labels, err := labelMap(c.StringSlice("label"))
	if err != nil {
		return fmt.Errorf("volume create: %w", err)
	}
	root, err := storeRoot(c)
	if err != nil {
		return err
	}
	v, _, err := docker.CreateVolume(root, name, labels)
	if err != nil {
		return err
	}
	fmt.Println(v.Name)
	return nil
}

func labelMap(kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("--label %q: want KEY=VALUE", kv)
		}
		m[k] = v
	}
	return m, nil
}

// volumeFilter is ls's --filter: values of one key are alternatives
// (any may match), different keys must all match, as in Docker.
type volumeFilter map[string][]string

func parseVolumeFilter(fs []string) (volumeFilter, error) {
	f := volumeFilter{}
	for _, s := range fs {
		k, v, ok := strings.Cut(s, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("volume ls: --filter %q: want KEY=VALUE", s)
		case k == "dangling" && v != "true" && v != "false" && v != "1" && v != "0":
			return nil, fmt.Errorf("volume ls: --filter %q: want dangling=true or false", s)
		case k != "name" && k != "label" && k != "dangling" && k != "driver":
			return nil, fmt.Errorf("volume ls: --filter %q: unknown key %q (want name, label, dangling, driver)", s, k)
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

func (f volumeFilter) match(v *docker.Volume, used bool) bool {
	oneOf := func(key string, ok func(string) bool) bool {
		vals, set := f[key]
		if !set {
			return true
		}
		for _, val := range vals {
			if ok(val) {
				return true
			}
		}
		return false
	}
	return oneOf("name", func(s string) bool { return strings.Contains(v.Name, s) }) &&
		oneOf("driver", func(s string) bool { return s == v.Driver }) &&
		oneOf("dangling", func(s string) bool { return (s == "true" || s == "1") == !used }) &&
		// Labels must all match, as in Docker: this is the one key
		// whose values are required together.
		allLabels(f["label"], v.Labels)
}

func allLabels(want []string, have map[string]string) bool {
	for _, w := range want {
		k, val, withVal := strings.Cut(w, "=")
		got, ok := have[k]
		if !ok || withVal && got != val {
			return false
		}
	}
	return true
}

func volumeLs(c *cli.Context) error {
	if c.NArg() > 0 {
		return errors.New("volume ls: takes no arguments (filter with --filter name=...)")
	}
	f, err := parseVolumeFilter(c.StringSlice("filter"))
	if err != nil {
		return err
	}
	root, err := storeRoot(c)
	if err != nil {
		return err
	}
	vols, err := docker.ListVolumes(root)
	if err != nil {
		return err
	}
	users, err := docker.VolumeUsers(root)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
	if !c.Bool("quiet") {
		fmt.Fprintln(tw, "DRIVER\tVOLUME NAME")
	}
	for _, v := range vols {
		if !f.match(v, len(users[v.Name]) > 0) {
			continue
		}
		if c.Bool("quiet") {
			fmt.Fprintln(tw, v.Name)
		} else {
			fmt.Fprintf(tw, "%s\t%s\n", v.Driver, v.Name)
		}
	}
	return tw.Flush()
}

func volumeInspect(c *cli.Context) error {
	if c.NArg() == 0 {
		return errors.New("volume inspect: name at least one volume")
	}
	var tmpl *template.Template
	if f := c.String("format"); f != "" {
		var err error
		if tmpl, err = template.New("format").Funcs(template.FuncMap{"json": toJSON}).Parse(f); err != nil {
			return fmt.Errorf("volume inspect: --format: %w", err)
		}
	}
	root, err := storeRoot(c)
	if err != nil {
		return err
	}
	// Every volume is looked up before anything is printed, so that a
	// missing one is the only line.
	vols := []*docker.Volume{}
	for _, name := range c.Args().Slice() {
		v, err := docker.LookupVolume(root, name)
		if err != nil {
			return fmt.Errorf("volume inspect: %w", err)
		}
		vols = append(vols, v)
	}
	if tmpl != nil {
		for _, v := range vols {
			if err := tmpl.Execute(os.Stdout, v); err != nil {
				return fmt.Errorf("volume inspect: --format: %w", err)
			}
			fmt.Println()
		}
		return nil
	}
	out, err := json.MarshalIndent(vols, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", out)
	return err
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func volumeRm(c *cli.Context) error {
	if c.NArg() == 0 {
		return errors.New("volume rm: name at least one volume")
	}
	root, err := storeRoot(c)
	if err != nil {
		return err
	}
	// As Docker: remove what can be removed, report the rest.
	var failed []error
	for _, name := range c.Args().Slice() {
		err := docker.RemoveVolume(root, name)
		if errors.Is(err, errdefs.ErrNotFound) {
			if c.Bool("force") {
				continue
			}
			err = fmt.Errorf("volume rm: %w", err)
		}
		if err != nil {
			failed = append(failed, err)
			continue
		}
		fmt.Println(name)
	}
	return errors.Join(failed...)
}

func volumePrune(c *cli.Context) error {
	if c.NArg() > 0 {
		return errors.New("volume prune: takes no arguments")
	}
	root, err := storeRoot(c)
	if err != nil {
		return err
	}
	if !c.Bool("force") {
		fmt.Print("WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Println()
			return nil
		}
	}
	removed, size, err := docker.PruneVolumes(root)
	if len(removed) > 0 {
		fmt.Println("Deleted Volumes:")
		for _, n := range removed {
			fmt.Println(n)
		}
		fmt.Println()
	}
	if err != nil {
		return err
	}
	fmt.Printf("Total reclaimed space: %s\n", image.HumanSize(size, ""))
	return nil
}
