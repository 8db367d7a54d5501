package cmdline

import (
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"
)

// The wrapped flags must keep every interface urfave/cli asks of the
// original, or help, required flags and actions would change silently.
func TestCachedFlagsKeepTheirInterfaces(t *testing.T) {
	ifaces := []reflect.Type{
		reflect.TypeFor[cli.DocGenerationFlag](),
		reflect.TypeFor[cli.DocGenerationSliceFlag](),
		reflect.TypeFor[cli.VisibleFlag](),
		reflect.TypeFor[cli.RequiredFlag](),
		reflect.TypeFor[cli.CategorizableFlag](),
		reflect.TypeFor[cli.ActionableFlag](),
		reflect.TypeFor[cli.Countable](),
	}
	all := globalFlags()
	var add func(cs []*cli.Command)
	add = func(cs []*cli.Command) {
		for _, c := range cs {
			all = append(all, c.Flags...)
			add(c.Subcommands)
		}
	}
	add(testCommands())
	wrapped := cacheFlagNames(all)
	for i, f := range all {
		w := wrapped[i]
		if reflect.TypeOf(w) == reflect.TypeOf(f) {
			t.Errorf("flag %v (%T) is not wrapped", f.Names(), f)
			continue
		}
		if !reflect.DeepEqual(w.Names(), f.Names()) {
			t.Errorf("flag %v: wrapped names %v", f.Names(), w.Names())
		}
		for _, it := range ifaces {
			if reflect.TypeOf(f).Implements(it) != reflect.TypeOf(w).Implements(it) {
				t.Errorf("flag %v (%T): %v lost or gained by the wrapper", f.Names(), f, it)
			}
		}
	}
}

// A flag found by an alias, set or not, behaves as before the wrapping.
func TestCachedFlagsAreFound(t *testing.T) {
	var got struct {
		bundle, user string
		bundleSet    bool
		envs         []string
		detach       bool
	}
	app := &cli.App{
		Flags: cacheFlagNames([]cli.Flag{&cli.StringFlag{Name: "root", Value: "/r"}}),
		Commands: []*cli.Command{{
			Name: "x",
			Flags: cacheFlagNames([]cli.Flag{
				&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}},
				&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Value: "root"},
				&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}},
				&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}},
			}),
			Action: func(c *cli.Context) error {
				got.bundle, got.user = c.String("bundle"), c.String("u")
				got.bundleSet = c.IsSet("b")
				got.envs = c.StringSlice("env")
				got.detach = c.Bool("detach")
				return nil
			},
		}},
	}
	if err := app.Run([]string{"minirun", "x", "-b", "/bun", "-e", "A=1", "-e", "B=2", "-d"}); err != nil {
		t.Fatal(err)
	}
	if got.bundle != "/bun" || !got.bundleSet || got.user != "root" || !got.detach ||
		!reflect.DeepEqual(got.envs, []string{"A=1", "B=2"}) {
		t.Fatalf("flags read back as %+v", got)
	}
}
