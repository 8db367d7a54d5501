package cmdline

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/internal/inputbounds"
)

// Update is `update [FLAGS] ID`, with runc's flags. containerd's shim (go-runc) passes the
// resources as JSON on stdin: `update --resources - ID`.
func Update() *cli.Command {
	return &cli.Command{
		Name:      "update",
		Usage:     "change a running container's resource limits",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "a linux.resources JSON file, - for stdin"},
			&cli.StringFlag{Name: "memory", Usage: "memory limit (bytes, or with k, m, g)"},
			&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
			&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit (-1 unlimited)"},
			&cli.StringFlag{Name: "cpu-period", Usage: "CPU CFS period in microseconds"},
			&cli.StringFlag{Name: "cpu-quota", Usage: "CPU CFS quota in microseconds (-1 unlimited)"},
			&cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight)"},
			&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs allowed, e.g. 0-3,5"},
			&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes allowed"},
			&cli.IntFlag{Name: "pids-limit", Usage: "maximum number of processes (-1 unlimited)"},
			&cli.IntFlag{Name: "blkio-weight", Usage: "block I/O weight, 10 to 1000"},
			&cli.StringFlag{Name: "cpu-rt-period", Usage: "CPU real-time period in microseconds (cgroup v1)"},
			&cli.StringFlag{Name: "cpu-rt-runtime", Usage: "CPU real-time runtime in microseconds per period (cgroup v1)"},
			// runc's, hidden as there: taken, and ignored with runc's warning.
			&cli.StringFlag{Name: "kernel-memory", Hidden: true},
			&cli.StringFlag{Name: "kernel-memory-tcp", Hidden: true},
		},
		Action: func(c *cli.Context) error {
			ctr, err := LoadRef(c)
			if err != nil {
				return err
			}
			res, err := updateResources(c)
			if err != nil {
				return fmt.Errorf("update: %w", err)
			}
			return echoDockerRef(c, ctr.Update(res))
		},
	}
}

// updateResources is --resources, if given, with the flags on top.
func updateResources(c *cli.Context) (*specs.LinuxResources, error) {
	res := &specs.LinuxResources{}
	if f := c.String("resources"); f != "" {
		if f == "-" {
			f = "/dev/stdin"
		}
		// A part of config.json, so the same bounds apply.
		data, err := inputbounds.ReadFile(f, inputbounds.ConfigBytes)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		if err := inputbounds.CheckDepth(data, inputbounds.JSONDepth); err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		if err := json.Unmarshal(data, res); err != nil {
			return nil, fmt.Errorf("--resources %s: %w", c.String("resources"), err)
		}
	}
	mem := func() *specs.LinuxMemory {
		if res.Memory == nil {
			res.Memory = &specs.LinuxMemory{}
		}
		return res.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if res.CPU == nil {
			res.CPU = &specs.LinuxCPU{}
		}
		return res.CPU
	}
	for _, f := range []struct {
		name string
		set  func(int64)
	}{
		{"memory", func(v int64) { mem().Limit = &v }},
		{"memory-reservation", func(v int64) { mem().Reservation = &v }},
		{"memory-swap", func(v int64) { mem().Swap = &v }},
		{"kernel-memory", func(v int64) { mem().Kernel = &v }},
		{"kernel-memory-tcp", func(v int64) { mem().KernelTCP = &v }},
	} {
		if s := c.String(f.name); s != "" {
			v, err := inputbounds.ParseBytes(s)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", f.name, err)
			}
			f.set(v)
		}
	}
	// An unlimited memory with no word on swap makes swap unlimited too, as
	// runc's update does: memory+swap can't stay below memory, and the
	// kernel refuses the lift (EINVAL) while the old memsw limit stands.
	if m := res.Memory; m != nil && m.Limit != nil && *m.Limit == -1 && m.Swap == nil {
		unlimited := int64(-1)
		m.Swap = &unlimited
	}
	if s := c.String("cpu-quota"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--cpu-quota: %w", err)
		}
		cpu().Quota = &v
	}
	if s := c.String("cpu-rt-runtime"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--cpu-rt-runtime: %w", err)
		}
		cpu().RealtimeRuntime = &v
	}
	for _, f := range []struct {
		name string
		set  func(uint64)
	}{
		{"cpu-period", func(v uint64) { cpu().Period = &v }},
		{"cpu-share", func(v uint64) { cpu().Shares = &v }},
		{"cpu-rt-period", func(v uint64) { cpu().RealtimePeriod = &v }},
	} {
		if s := c.String(f.name); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", f.name, err)
			}
			f.set(v)
		}
	}
	if s := c.String("cpuset-cpus"); s != "" {
		cpu().Cpus = s
	}
	if s := c.String("cpuset-mems"); s != "" {
		cpu().Mems = s
	}
	if c.IsSet("blkio-weight") {
		w := c.Int("blkio-weight")
		if w < 0 || w > 1000 {
			return nil, fmt.Errorf("--blkio-weight %d: the range is 10 to 1000", w)
		}
		if res.BlockIO == nil {
			res.BlockIO = &specs.LinuxBlockIO{}
		}
		v := uint16(w)
		res.BlockIO.Weight = &v
	}
	if c.IsSet("pids-limit") {
		v := int64(c.Int("pids-limit"))
		res.Pids = &specs.LinuxPids{Limit: &v}
	}
	return res, nil
}
