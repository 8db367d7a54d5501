package cmdline

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/internal/inputbounds"
)

// Exec is `exec ID COMMAND...` or `exec -p process.json ID`.
func Exec() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a new process inside a running container",
		ArgsUsage: "ID [COMMAND [ARG...]]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "process.json (runtime-spec process) to run instead of COMMAND"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "don't wait for the process"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the process a terminal"},
			&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
			&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to this file"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set KEY=VALUE"},
			&cli.StringFlag{Name: "cwd", Usage: "working directory inside the container"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID]"},
			&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability (CAP_...)"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
			&cli.IntFlag{Name: "preserve-fds", Usage: "pass fds 3..3+N-1 to the process"},
			&cli.BoolFlag{Name: "ignore-paused", Usage: "exec into a paused container: the process starts when it is resumed"},
			&cli.StringSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "supplementary group (repeatable)"},
			&cli.GenericFlag{Name: "cgroup", Value: &listValue{}, Usage: "run the process in an existing sub-cgroup of the container's: [CONTROLLER[,CONTROLLER]:]PATH (with controllers, repeatable)"},
			&cli.StringFlag{Name: "process-label", Hidden: true},
			&cli.StringFlag{Name: "apparmor", Hidden: true},
		},
		Action: execAction,
	}
}

func execAction(c *cli.Context) error {
	if c.NArg() < 1 {
		return fmt.Errorf("exec: want ID [COMMAND [ARG...]]")
	}
	ctr, err := loadRef(c, c.Args().First())
	if err != nil {
		return err
	}
	proc, ov, err := execProcess(c)
	if err != nil {
		return err
	}
	tty := ov != nil && ov.Tty || proc != nil && proc.Terminal
	if c.Bool("detach") && tty && c.String("console-socket") == "" {
		return fmt.Errorf("exec: a detached process with a terminal needs --console-socket")
	}
	pidFile, err := absOrEmpty(c.String("pid-file"))
	if err != nil {
		return err
	}
	extra, err := preservedFds(c.Int("preserve-fds"))
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	sub, err := cgroups.ParseSubCgroups(takeList(c, "cgroup"))
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	p, err := ctr.Exec(container.ExecRequest{Process: proc, Overrides: ov, IgnorePaused: c.Bool("ignore-paused"), SubCgroups: sub},
		container.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			PidFile: pidFile, ConsoleSocket: c.String("console-socket"), ExtraFiles: extra},
		container.Lifecycle{Detached: c.Bool("detach"), ForwardSignals: true})
	if err != nil {
		return err
	}
	if c.Bool("detach") {
		return nil
	}
	code, err := p.Wait()
	if err != nil {
		return err
	}
	return StatusError(code)
}

// execProcess is --process FILE as it is, or the command line's changes to
// the container's own process, which container.Exec applies to the config
// it reads anyway.
func execProcess(c *cli.Context) (*specs.Process, *container.ExecOverrides, error) {
	if f := c.String("process"); f != "" {
		// process.json is a part of config.json, so the same bounds apply.
		data, err := inputbounds.ReadFile(f, inputbounds.ConfigBytes)
		if err != nil {
			return nil, nil, fmt.Errorf("exec: read --process: %w", err)
		}
		if err := inputbounds.CheckDepth(data, inputbounds.JSONDepth); err != nil {
			return nil, nil, fmt.Errorf("exec: --process %s: %w", f, err)
		}
		var p specs.Process
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, nil, fmt.Errorf("exec: --process %s: %w", f, err)
		}
		return &p, nil, nil
	}
	if c.NArg() < 2 {
		return nil, nil, fmt.Errorf("exec: name a command or give --process")
	}
	ov := container.ExecOverrides{
		Args: c.Args().Tail(), Env: c.StringSlice("env"), Cwd: c.String("cwd"),
		Caps: c.StringSlice("cap"), Tty: c.Bool("tty"),
	}
	if u := c.String("user"); u != "" {
		user, err := parseUser(u)
		if err != nil {
			return nil, nil, err
		}
		ov.User = user
	}
	ov.NoNewPrivs = c.Bool("no-new-privs")
	for _, g := range c.StringSlice("additional-gids") {
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("exec: --additional-gids %q: want a numeric GID", g)
		}
		ov.AdditionalGids = append(ov.AdditionalGids, uint32(gid))
	}
	return nil, &ov, nil
}

// parseUser takes UID or UID:GID, numeric as runc's exec does.
func parseUser(s string) (*specs.User, error) {
	us, gs, hasGID := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("exec: --user %q: want numeric UID[:GID]", s)
	}
	u := &specs.User{UID: uint32(uid)}
	if hasGID {
		gid, err := strconv.ParseUint(gs, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("exec: --user %q: want numeric UID[:GID]", s)
		}
		u.GID = uint32(gid)
	}
	return u, nil
}

// listValue is a repeatable flag whose values are kept whole: a
// StringSliceFlag splits each at commas, and --cgroup cpu,cpuacct:sub
// names two controllers in one value.
type listValue struct{ values []string }

func (l *listValue) String() string { return strings.Join(l.values, " ") }

func (l *listValue) Set(v string) error {
	l.values = append(l.values, v)
	return nil
}

// takeList returns the values of the listValue flag name and empties it
// for the next parse (the flag is a package variable).
func takeList(c *cli.Context, name string) []string {
	l, ok := c.Generic(name).(*listValue)
	if !ok {
		return nil
	}
	v := l.values
	l.values = nil
	return v
}
