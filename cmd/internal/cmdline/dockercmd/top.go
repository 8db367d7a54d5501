package dockercmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/cmd/internal/dockerformat"
	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
)

// Top is `top NAME|ID [PS OPTIONS]`: the container's processes through
// the host's ps (-ef unless told otherwise), as docker top.
func Top() *cli.Command {
	return &cli.Command{
		Name:      "top",
		Usage:     "show a container's processes (through ps(1), -ef unless other options are given)",
		ArgsUsage: "NAME|ID [PS OPTIONS]",
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return errors.New("top: want NAME|ID [PS OPTIONS]")
			}
			ctr, err := cmdline.LoadRefArg(c, c.Args().First())
			if err != nil {
				return err
			}
			if err := needRunning(ctr, "top", c.Args().First()); err != nil {
				return err
			}
			pids, err := ctr.Processes()
			if err != nil {
				return fmt.Errorf("top: %w", err)
			}
			return cmdline.PsTable(pids, c.Args().Tail())
		},
	}
}

// needRunning refuses a container that is not running (or paused).
func needRunning(ctr *container.Container, cmd, ref string) error {
	st, err := ctr.State()
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if st.Status != specs.StateRunning && st.Status != container.StatePaused {
		return fmt.Errorf("%s: container %s is not running: %w", cmd, ref, errdefs.ErrNotRunning)
	}
	return nil
}

// Port is `port NAME|ID [PRIVATE_PORT[/PROTO]]`: the container's
// published ports. minirun publishes none until it has networks, so it
// prints nothing.
func Port() *cli.Command {
	return &cli.Command{
		Name:      "port",
		Usage:     "list a container's published ports",
		ArgsUsage: "NAME|ID [PRIVATE_PORT[/PROTO]]",
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 || c.NArg() > 2 {
				return errors.New("port: want NAME|ID [PRIVATE_PORT[/PROTO]]")
			}
			ref := c.Args().First()
			id, err := cmdline.ContainerRef(c, ref)
			if err != nil {
				return err
			}
			r, err := docker.Find(containersDir(c), id)
			if err != nil {
				return fmt.Errorf("port: %w", err)
			}
			var ports map[string][]docker.PortBinding
			if r.NetworkSettings != nil {
				ports = r.NetworkSettings.Ports
			}
			keys := make([]string, 0, len(ports))
			for k := range ports {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			want := c.Args().Get(1)
			if want != "" && !strings.Contains(want, "/") {
				want += "/tcp"
			}
			found := false
			for _, k := range keys {
				if want != "" && k != want {
					continue
				}
				found = true
				for _, b := range ports[k] {
					if want != "" {
						fmt.Printf("%s:%s\n", b.HostIp, b.HostPort)
					} else {
						fmt.Printf("%s -> %s:%s\n", k, b.HostIp, b.HostPort)
					}
				}
			}
			if want != "" && !found {
				return errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("port: no public port %s published for %s", want, ref))
			}
			return nil
		},
	}
}

// Stats is `stats [--no-stream] [--format F] [-a] [NAME|ID...]`.
func Stats() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "show containers' CPU, memory and process counts from their cgroups",
		ArgsUsage: "[NAME|ID...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-stream", Usage: "print once and exit"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "all containers, not only the running ones"},
			&cli.StringFlag{Name: "format", Usage: "a Go template, table TEMPLATE or json"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "don't shorten ids"},
		},
		Action: statsAction,
	}
}

const statsDefaultFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// statsInterval is the time between the two samples CPU % is taken from,
// and between two screens of the stream.
const statsInterval = time.Second

type statsTarget struct {
	ref  string // as given, for .Container
	rec  *docker.Record
	ctr  *container.Container
	prev uint64 // CPU ns at the last sample
}

func statsAction(c *cli.Context) error {
	targets, err := statsTargets(c)
	if err != nil {
		return err
	}
	format := c.String("format")
	if format == "" || format == "table" {
		format = statsDefaultFormat
	}
	if _, _, err := dockerformat.Parse(format); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, t := range targets {
		t.prev = cpuNanos(t.ctr)
	}
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(statsInterval):
		}
		now := time.Now()
		wall := now.Sub(last)
		last = now
		if !c.Bool("no-stream") {
			fmt.Print("\033[2J\033[H") // a new screen each time, as docker stats
		}
		p, err := dockerformat.NewPrinter(os.Stdout, format, statsHeader{})
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		for _, t := range targets {
			if err := p.Print(sample(t, wall, !c.Bool("no-trunc"))); err != nil {
				return fmt.Errorf("stats: %w", err)
			}
		}
		if err := p.Flush(); err != nil || c.Bool("no-stream") {
			return err
		}
	}
}

// statsTargets are the named containers, or every running one (with -a,
// every one).
func statsTargets(c *cli.Context) ([]*statsTarget, error) {
	rt := cmdline.RuntimeOf(c)
	dir := containersDir(c)
	var out []*statsTarget
	if c.NArg() > 0 {
		for _, ref := range c.Args().Slice() {
			ctr, err := cmdline.LoadRefArg(c, ref)
			if err != nil {
				return nil, err
			}
			r, err := docker.Find(dir, ctr.ID)
			if err != nil {
				r = &docker.Record{ID: ctr.ID} // a runc-form container: no record
			}
			out = append(out, &statsTarget{ref: ref, rec: r, ctr: ctr})
		}
		return out, nil
	}
	recs, err := docker.List(dir)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for _, r := range recs {
		if st := docker.LiveState(rt, containersDir(c), r); st.Running || c.Bool("all") {
			ctr, err := rt.Load(r.ID)
			if err != nil {
				continue
			}
			out = append(out, &statsTarget{ref: docker.ShortID(r.ID), rec: r, ctr: ctr})
		}
	}
	return out, nil
}

func cpuNanos(ctr *container.Container) uint64 {
	s, err := ctr.Stats()
	if err != nil {
		return 0
	}
	return s.CPU.Usage.Total
}

// statsRow is one container's sample, with docker stats's field names.
type statsRow struct {
	Container, ID, Name, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs string
}

type statsHeader struct{}

func (statsHeader) Container() string { return "CONTAINER" }
func (statsHeader) ID() string        { return "CONTAINER ID" }
func (statsHeader) Name() string      { return "NAME" }
func (statsHeader) CPUPerc() string   { return "CPU %" }
func (statsHeader) MemUsage() string  { return "MEM USAGE / LIMIT" }
func (statsHeader) MemPerc() string   { return "MEM %" }
func (statsHeader) NetIO() string     { return "NET I/O" }
func (statsHeader) BlockIO() string   { return "BLOCK I/O" }
func (statsHeader) PIDs() string      { return "PIDS" }

// sample reads t's cgroup now: CPU % is its CPU time since the last
// sample over the wall time between them (100% is one CPU busy).
func sample(t *statsTarget, wall time.Duration, trunc bool) statsRow {
	row := statsRow{Container: t.ref, ID: t.rec.ID, Name: t.rec.Name, NetIO: "0B / 0B", BlockIO: "0B / 0B"}
	if trunc {
		row.ID = docker.ShortID(row.ID)
	}
	if row.Name == "" {
		row.Name = "--"
	}
	s, err := t.ctr.Stats()
	if err != nil {
		row.CPUPerc, row.MemUsage, row.MemPerc, row.PIDs = "--", "-- / --", "--", "--"
		return row
	}
	cpu := s.CPU.Usage.Total
	pct := 0.0
	if cpu >= t.prev && wall > 0 {
		pct = float64(cpu-t.prev) / float64(wall.Nanoseconds()) * 100
	}
	t.prev = cpu
	limit := s.Memory.Usage.Limit
	if host := hostMemory(); limit == 0 || host > 0 && limit > host {
		limit = host // no limit of its own: the machine's
	}
	memPct := 0.0
	if limit > 0 {
		memPct = float64(s.Memory.Usage.Usage) / float64(limit) * 100
	}
	row.CPUPerc = fmt.Sprintf("%.2f%%", pct)
	row.MemUsage = binarySize(s.Memory.Usage.Usage) + " / " + binarySize(limit)
	row.MemPerc = fmt.Sprintf("%.2f%%", memPct)
	row.PIDs = fmt.Sprint(s.Pids.Current)
	return row
}

func hostMemory() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// binarySize is n in powers of 1024 with four significant digits, as
// docker stats writes sizes ("1.52MiB").
func binarySize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.4g%s", v, units[i])
}
