package cmdline

import "github.com/urfave/cli/v2"

// urfave/cli v2 finds a flag by asking every flag of the command for its
// Names(), and each answer runs a regular expression over the name (a
// v1-migration check). Before any action it does that once per flag and
// per name of each flag, so a command with run's 60-odd flags spent about
// 1 ms of a 20 ms container start in that regexp. The wrappers below
// answer Names() from a slice made once. They embed the concrete flag, so
// every optional interface (help, categories, actions) is still there.

type (
	boolFlag struct {
		*cli.BoolFlag
		names []string
	}
	stringFlag struct {
		*cli.StringFlag
		names []string
	}
	stringSliceFlag struct {
		*cli.StringSliceFlag
		names []string
	}
	intFlag struct {
		*cli.IntFlag
		names []string
	}
	int64Flag struct {
		*cli.Int64Flag
		names []string
	}
	durationFlag struct {
		*cli.DurationFlag
		names []string
	}
	genericFlag struct {
		*cli.GenericFlag
		names []string
	}
)

func (f boolFlag) Names() []string        { return f.names }
func (f stringFlag) Names() []string      { return f.names }
func (f stringSliceFlag) Names() []string { return f.names }
func (f intFlag) Names() []string         { return f.names }
func (f int64Flag) Names() []string       { return f.names }
func (f durationFlag) Names() []string    { return f.names }
func (f genericFlag) Names() []string     { return f.names }

// cacheFlagNames returns fs with each flag of a known type wrapped; a flag
// of another type is kept as it is, and is only slower to find.
func cacheFlagNames(fs []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, len(fs))
	for i, f := range fs {
		names := f.Names()
		switch f := f.(type) {
		case *cli.BoolFlag:
			out[i] = boolFlag{f, names}
		case *cli.StringFlag:
			out[i] = stringFlag{f, names}
		case *cli.StringSliceFlag:
			out[i] = stringSliceFlag{f, names}
		case *cli.IntFlag:
			out[i] = intFlag{f, names}
		case *cli.Int64Flag:
			out[i] = int64Flag{f, names}
		case *cli.DurationFlag:
			out[i] = durationFlag{f, names}
		case *cli.GenericFlag:
			out[i] = genericFlag{f, names}
		default:
			out[i] = f
		}
	}
	return out
}

// cacheCommandFlagNames does cacheFlagNames for c and its subcommands.
func cacheCommandFlagNames(c *cli.Command) {
	c.Flags = cacheFlagNames(c.Flags)
	for _, sub := range c.Subcommands {
		cacheCommandFlagNames(sub)
	}
}
