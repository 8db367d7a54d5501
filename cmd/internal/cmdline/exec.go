package cmdline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/inputbounds"
)

// DockerExec is the Docker front's part of exec, which only minirun-docker
// has (the image store, /etc/passwd lookup). The lean minirun passes nil
// to Exec and hands exec's Docker form on to minirun-docker.
type DockerExec struct {
	// User resolves -u NAME|UID[:GROUP|GID] in the /etc/passwd and
	// /etc/group of the container whose init is pid, as Docker does.
	User func(pid int, spec string) (*specs.User, error)
	// Env is the environment --env-file and -e add, in that order, with
	// a bare KEY taking this process's value, as Docker's.
	Env func(files, env []string) ([]string, error)
}

// dockerExecFlags are Docker's exec flags that runc's exec lacks: any of
// them makes the command line Docker's (execForm).
var dockerExecFlags = []string{"interactive", "workdir", "env-file", "privileged"}

// Exec is `exec ID COMMAND...` or `exec -p process.json ID`, runc's form,
// and `exec [-itd] [-w DIR] [-u USER] [-e K=V] [--env-file F]
// [--privileged] NAME|ID COMMAND...`, Docker's. front is nil in the lean
// minirun (see DockerExec).
func Exec(front *DockerExec) *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a new process inside a running container",
		ArgsUsage: "ID|NAME [COMMAND [ARG...]]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "process.json (runtime-spec process) to run instead of COMMAND"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "don't wait for the process"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the process a terminal"},
			&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
			&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to this file"},
			// Kept whole, as runc's (urfave/cli v1) and Docker's: A=b,c is one variable.
			&cli.GenericFlag{Name: "env", Aliases: []string{"e"}, Value: &listValue{}, Usage: "set KEY=VALUE (repeatable)"},
			&cli.StringFlag{Name: "cwd", Usage: "working directory inside the container"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID]; in Docker's form NAME|UID[:GROUP|GID] too"},
			&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability (CAP_...)"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
			&cli.IntFlag{Name: "preserve-fds", Usage: "pass fds 3..3+N-1 to the process"},
			&cli.BoolFlag{Name: "ignore-paused", Usage: "exec into a paused container: the process starts when it is resumed"},
			&cli.StringSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "supplementary group (repeatable)"},
			&cli.GenericFlag{Name: "cgroup", Value: &listValue{}, Usage: "run the process in an existing sub-cgroup of the container's: [CONTROLLER[,CONTROLLER]:]PATH (with controllers, repeatable)"},
			&cli.StringFlag{Name: "process-label", Hidden: true},
			&cli.StringFlag{Name: "apparmor", Hidden: true},
			// Docker's.
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "Docker's: keep stdin open (without it the process's stdin is empty)"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "Docker's: working directory inside the container (as --cwd)"},
			&cli.StringSliceFlag{Name: "env-file", Usage: "Docker's: read KEY=VALUE lines from a file"},
			&cli.BoolFlag{Name: "privileged", Usage: "Docker's: every capability and no seccomp filter for this process"},
		},
		// -it is -i -t, as Docker users type it. Only a group urfave/cli
		// can't read as one flag is split, so runc's flags parse as before.
		UseShortOptionHandling: true,
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return fmt.Errorf("exec: want ID [COMMAND [ARG...]]")
			}
			return execByForm(c, front)
		},
	}
}

// execByForm runs exec in its form. A reference is told apart as every
// command's (ContainerRef, dockerform.go), with two more rules of exec's:
// any of Docker's own exec flags makes the line Docker's, and so does a
// container `run IMAGE` made even when named by its full id under
// --root (isDockerContainer). runc's form keeps runc's behaviour and
// statuses (255 when minirun fails); Docker's exits as Docker's (125
// when minirun fails, 126/127 when the command can't be run or found).
func execByForm(c *cli.Context, front *DockerExec) error {
	if hasDockerExecFlags(c) {
		dockerForm()
		if front == nil {
			// minirun-docker has the user lookup and the env files; it
			// returns only when it can't be run.
			return ForwardDocker(c)
		}
	}
	id, err := ContainerRef(c, c.Args().First())
	if err != nil {
		return err
	}
	if invocation.runc && !isDockerContainer(c, id) {
		return execIn(c, id, nil)
	}
	dockerForm()
	if front == nil {
		return ForwardDocker(c)
	}
	// A Docker-front container that has exited keeps its record but no
	// runtime state (its monitor deleted it): Docker's words for it.
	if ctr, err := RuntimeOf(c).Load(id); err != nil || !running(ctr) {
		return errdefs.New(errdefs.ErrNotRunning, fmt.Sprintf("exec: container %s is not running", c.Args().First()))
	}
	return execIn(c, id, front)
}

// running says whether ctr's init is there to exec beside.
func running(ctr *container.Container) bool {
	st, err := ctr.State()
	return err == nil && (st.Status == specs.StateRunning || st.Status == container.StatePaused)
}

func hasDockerExecFlags(c *cli.Context) bool {
	for _, f := range dockerExecFlags {
		if c.IsSet(f) {
			return true
		}
	}
	return false
}

// isDockerContainer says whether container id under --root is one `run
// IMAGE` made: its bundle is the store's container directory
// (STORE/containers/ID), holding the record (docker/record.go writes
// container.json; the lean program does not link the Docker front).
func isDockerContainer(c *cli.Context, id string) bool {
	ctr, err := RuntimeOf(c).Load(id)
	if err != nil {
		return false
	}
	st, err := ctr.State()
	if err != nil || filepath.Base(st.Bundle) != st.ID {
		return false
	}
	_, err = os.Lstat(filepath.Join(st.Bundle, "container.json"))
	return err == nil
}

// execIn runs exec's process in container id, runc's way, or Docker's
// with front.
func execIn(c *cli.Context, id string, front *DockerExec) error {
	ctr, err := RuntimeOf(c).Load(id)
	if err != nil {
		return err
	}
	var proc *specs.Process
	var ov *container.ExecOverrides
	stdin := os.Stdin
	if front == nil {
		proc, ov, err = execProcess(c)
	} else {
		ov, err = dockerExecProcess(c, ctr, c.Args().First(), front)
		if !c.Bool("interactive") {
			stdin = nil
		}
	}
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
	io := container.IO{Stdin: stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		PidFile: pidFile, ConsoleSocket: c.String("console-socket"), ExtraFiles: extra}
	if stdin == nil {
		io.Stdin = nil // an untyped nil: the process reads /dev/null
	}
	if front != nil && c.Bool("detach") {
		// Docker's exec -d keeps nothing of the process's output; a
		// terminal would outlive this command with nobody reading it.
		io.Stdin, io.Stdout, io.Stderr = nil, nil, nil
	}
	p, err := ctr.Exec(container.ExecRequest{Process: proc, Overrides: ov, IgnorePaused: c.Bool("ignore-paused"), SubCgroups: sub},
		io, container.Lifecycle{Detached: c.Bool("detach"), ForwardSignals: true, ExitsAfterWait: true})
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

// dockerExecProcess is execProcess for Docker's form: -u NAME looked up
// in the container, --env-file, -w, --privileged, and -d without a
// terminal. The container must be running, as Docker's exec wants.
func dockerExecProcess(c *cli.Context, ctr *container.Container, ref string, front *DockerExec) (*container.ExecOverrides, error) {
	if c.IsSet("process") {
		return nil, errdefs.New(errdefs.ErrInvalid, "exec: --process is runc's; Docker's exec takes a COMMAND")
	}
	st, err := ctr.State()
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		return nil, errdefs.New(errdefs.ErrNotFound, "exec: no such container: "+ref)
	case err != nil || st.Status != specs.StateRunning:
		return nil, errdefs.New(errdefs.ErrNotRunning, fmt.Sprintf("exec: container %s is not running", ref))
	}
	if c.NArg() < 2 {
		return nil, errdefs.New(errdefs.ErrInvalid, "exec: name a command: exec [OPTIONS] CONTAINER COMMAND [ARG...]")
	}
	cwd := c.String("cwd")
	if w := c.String("workdir"); w != "" {
		cwd = w
	}
	if cwd != "" && !filepath.IsAbs(cwd) {
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("exec: -w %q: the working directory must be absolute", cwd))
	}
	env, err := front.Env(c.StringSlice("env-file"), takeList(c, "env"))
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	ov := &container.ExecOverrides{
		Args: c.Args().Tail(), Env: env, Cwd: cwd, Caps: c.StringSlice("cap"),
		// Docker's exec -dt gives a terminal nobody reads; this one
		// gives none (see execIn).
		Tty: c.Bool("tty") && !c.Bool("detach"), NoNewPrivs: c.Bool("no-new-privs"),
	}
	if u := c.String("user"); u != "" {
		if ov.User, err = front.User(st.Pid, u); err != nil {
			return nil, fmt.Errorf("exec: -u: %w", err)
		}
	}
	if c.Bool("privileged") {
		ov.Caps, ov.Unconfined = caps.Available(), true
	}
	for _, g := range c.StringSlice("additional-gids") {
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("exec: --additional-gids %q: want a numeric GID", g))
		}
		ov.AdditionalGids = append(ov.AdditionalGids, uint32(gid))
	}
	return ov, nil
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
		Args: c.Args().Tail(), Env: takeList(c, "env"), Cwd: c.String("cwd"),
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

// listValue is a repeatable flag whose values are kept whole, the one
// kind of every such flag: a StringSliceFlag splits each at commas, and
// --cgroup cpu,cpuacct:sub names two controllers in one value, -v's and
// --tmpfs's options and --mount's fields are comma-separated.
type listValue struct{ values []string }

// String is the values, each after a NUL. After parsing, urfave/cli
// copies a flag given by one of its names (-e) to its others (--env)
// with Set(String()); a NUL, which no argument can hold, tells Set that
// copy from a value to add.
func (l *listValue) String() string {
	if len(l.values) == 0 {
		return ""
	}
	return "\x00" + strings.Join(l.values, "\x00")
}

func (l *listValue) Set(v string) error {
	if strings.HasPrefix(v, "\x00") {
		return nil // urfave/cli's copy between a flag's names
	}
	l.values = append(l.values, v)
	return nil
}

// TakeList is takeList for the Docker front's commands (dockercmd):
// run's -v, --mount, --tmpfs and --label.
func TakeList(c *cli.Context, name string) []string { return takeList(c, name) }

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
