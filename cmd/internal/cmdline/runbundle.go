package cmdline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
)

// runcRunFlags are runc's flags for `run`: the mode engines use.
func runcRunFlags() []cli.Flag {
	// Hidden in `run --help`, which a Docker user reads, unless this is
	// the drop-in runc; they all work, and run's description shows them.
	runcHidden := progName() != "runc"
	return []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "runc mode: bundle directory holding config.json", Hidden: runcHidden},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background"},
		&cli.StringFlag{Name: "pid-file", Usage: "runc mode: write the init's pid to this file", Hidden: runcHidden},
		&cli.StringFlag{Name: "console-socket", Usage: "runc mode: unix socket that receives the pty master", Hidden: runcHidden},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "runc mode: keep the caller's session keyring", Hidden: runcHidden},
		&cli.IntFlag{Name: "preserve-fds", Usage: "runc mode: pass fds 3..3+N-1 to the container", Hidden: runcHidden},
		&cli.BoolFlag{Name: "no-pivot", Usage: "accepted for runc compatibility; pivot_root is always used", Hidden: true},
		&cli.BoolFlag{Name: "keep", Usage: "runc mode: keep the container after it exits, until delete", Hidden: runcHidden},
	}
}

// createFlags are the flags create shares with runc-mode run.
func createFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "bundle directory holding config.json"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the init's pid to this file"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass fds 3..3+N-1 to the container"},
		&cli.BoolFlag{Name: "no-pivot", Hidden: true},
	}
}

// runBundle is `run -b BUNDLE ID`: runc's create and start in one. In the
// foreground it waits and then deletes the container; with -d it returns
// once the process runs, and `delete` cleans up.
func runBundle(c *cli.Context) error {
	cfg, stdio, err := bundleOptions(c, "run")
	if err != nil {
		return err
	}
	lc := container.Lifecycle{Detached: c.Bool("detach"), Keep: c.Bool("keep"), ForwardSignals: true, ExitsAfterWait: true, Seccomp: SeccompWatchRequest(c)}
	if lc.Detached && lc.Keep {
		return fmt.Errorf("run: --keep and --detach don't go together: a detached container is kept anyway")
	}
	if lc.Detached && cfg.Spec.Process.Terminal && stdio.ConsoleSocket == "" {
		return fmt.Errorf("run: a detached container with a terminal needs --console-socket")
	}
	ctr, err := RuntimeOf(c).Run(cfg, stdio, lc)
	if err != nil || lc.Detached {
		return err
	}
	code, err := ctr.Wait()
	if err != nil {
		return err
	}
	return StatusError(code)
}

// bundleOptions reads the bundle and the flags shared by run and create.
func bundleOptions(c *cli.Context, cmd string) (container.Config, container.IO, error) {
	if c.NArg() != 1 {
		return container.Config{}, container.IO{}, fmt.Errorf("%s: want exactly one container ID, got %d arguments", cmd, c.NArg())
	}
	spec, bundle, err := loadBundle(c.String("bundle"))
	if err != nil {
		return container.Config{}, container.IO{}, err
	}
	pidFile, err := absOrEmpty(c.String("pid-file"))
	if err != nil {
		return container.Config{}, container.IO{}, err
	}
	extra, err := preservedFds(c.Int("preserve-fds"))
	if err != nil {
		return container.Config{}, container.IO{}, err
	}
	cfg := container.Config{ID: c.Args().First(), Bundle: bundle, Spec: spec, NoNewKeyring: c.Bool("no-new-keyring")}
	stdio := container.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		PidFile: pidFile, ConsoleSocket: c.String("console-socket"), ExtraFiles: extra}
	return cfg, stdio, nil
}

func loadBundle(dir string) (*specs.Spec, string, error) {
	if dir == "" {
		dir = "."
	}
	bundle, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", err
	}
	spec, err := config.LoadBundle(bundle)
	if err != nil {
		return nil, "", err
	}
	return spec, bundle, nil
}

func absOrEmpty(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	return filepath.Abs(p)
}

// preservedFds wraps fds 3..3+n-1, which the caller left open for the
// container (runc's --preserve-fds).
func preservedFds(n int) ([]*os.File, error) {
	if n < 0 {
		return nil, fmt.Errorf("--preserve-fds %d: must not be negative", n)
	}
	files := make([]*os.File, n)
	for i := range files {
		files[i] = os.NewFile(uintptr(3+i), fmt.Sprintf("preserved-fd-%d", 3+i))
	}
	return files, nil
}
