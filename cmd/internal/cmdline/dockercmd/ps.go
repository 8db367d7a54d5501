package dockercmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/cmd/internal/dockerformat"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
)

// containersDir is the store's container records, found without opening
// (and so without making) the store: a command that only reads records
// leaves no store behind where there was none.
func containersDir(c *cli.Context) string {
	dir, err := filepath.Abs(c.String("store"))
	if err != nil {
		dir = c.String("store")
	}
	return filepath.Join(dir, "containers")
}

// ResolveContainer is minirun-docker's cmdline.ContainerResolver: a name,
// full id or unique id prefix, through the store's records.
func ResolveContainer(c *cli.Context, ref string) (string, error) {
	r, err := docker.Find(containersDir(c), ref)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// psDefaultFormat is Docker's ps table.
const psDefaultFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

// PsContainers is ps's Docker form: `ps [-a] [-q] [--filter K=V]...
// [--format F] [-n N] [-l] [--no-trunc]` (cmdline.Ps's containers).
func PsContainers(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("ps: Docker's form takes no arguments")
	}
	filt, err := parsePsFilters(cmdline.PsFilters(c))
	if err != nil {
		return err
	}
	recs, err := docker.List(containersDir(c))
	if err != nil {
		return fmt.Errorf("ps: %w", err)
	}
	// Newest first, as Docker lists them.
	sort.Slice(recs, func(i, j int) bool { return recs[i].Created.After(recs[j].Created) })
	limit := c.Int("last")
	if c.Bool("latest") {
		limit = 1
	}
	// A limit or a status filter lists containers in any state, as Docker's.
	all := c.Bool("all") || limit >= 0 || len(filt["status"]) > 0
	rt := cmdline.RuntimeOf(c)
	now := time.Now()
	var rows []*psRow
	for _, r := range recs {
		if limit >= 0 && len(rows) >= limit {
			break
		}
		row := &psRow{r: r, st: docker.LiveState(rt, containersDir(c), r), trunc: !c.Bool("no-trunc"), now: now}
		if !all && !row.st.Running && row.st.Status != docker.StatusRestarting {
			continue
		}
		if filt.match(row) {
			rows = append(rows, row)
		}
	}
	format := c.String("format")
	switch {
	case c.Bool("quiet"):
		format = "{{.ID}}"
	case format == "" || format == "table":
		format = psDefaultFormat
	}
	p, err := dockerformat.NewPrinter(os.Stdout, format, psHeader{})
	if err != nil {
		return fmt.Errorf("ps: %w", err)
	}
	for _, row := range rows {
		if err := p.Print(row); err != nil {
			return fmt.Errorf("ps: %w", err)
		}
	}
	return p.Flush()
}

// psFilters are --filter's values by key: values of one key are
// alternatives, keys must all match.
type psFilters map[string][]string

var psStatuses = map[string]bool{
	docker.StatusCreated: true, docker.StatusRestarting: true, docker.StatusRunning: true,
	"removing": true, docker.StatusPaused: true, docker.StatusExited: true, docker.StatusDead: true,
}

func parsePsFilters(args []string) (psFilters, error) {
	f := psFilters{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		bad := func(why string) error {
			return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("ps: --filter %q: %s", a, why))
		}
		if !ok {
			return nil, bad("want KEY=VALUE")
		}
		switch k {
		case "status":
			if !psStatuses[v] {
				return nil, bad("want created, restarting, running, removing, paused, exited or dead")
			}
		case "name":
			if _, err := regexp.Compile(v); err != nil {
				return nil, bad(err.Error())
			}
		case "exited":
			if _, err := strconv.Atoi(v); err != nil {
				return nil, bad("want an exit code")
			}
		case "id", "label":
		default:
			return nil, bad("unknown key (want status, name, label, id or exited)")
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

func (f psFilters) match(row *psRow) bool {
	for k, vs := range f {
		ok := false
		for _, v := range vs {
			if ok = matchOne(k, v, row); ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func matchOne(k, v string, row *psRow) bool {
	switch k {
	case "status":
		return row.st.Status == v
	case "name":
		re := regexp.MustCompile(v) // checked by parsePsFilters
		return re.MatchString(row.r.Name) || re.MatchString("/"+row.r.Name)
	case "id":
		return strings.HasPrefix(row.r.ID, v)
	case "exited":
		code, _ := strconv.Atoi(v)
		return row.st.Status == docker.StatusExited && row.st.ExitCode == code
	case "label":
		key, val, hasVal := strings.Cut(v, "=")
		got, ok := row.r.Config.Labels[key]
		return ok && (!hasVal || got == val)
	}
	return false
}

// psRow is one container as ps's templates see it: Docker's field names.
type psRow struct {
	r     *docker.Record
	st    docker.ContainerState
	trunc bool
	now   time.Time
}

func (p *psRow) ID() string {
	if p.trunc {
		return docker.ShortID(p.r.ID)
	}
	return p.r.ID
}

func (p *psRow) Image() string { return p.r.Image }

func (p *psRow) Command() string {
	cmd := p.r.CommandLine()
	if p.trunc {
		cmd = ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}

func (p *psRow) CreatedAt() string {
	return p.r.Created.Local().Format("2006-01-02 15:04:05 -0700 MST")
}
func (p *psRow) RunningFor() string {
	return docker.HumanDuration(p.now.Sub(p.r.Created)) + " ago"
}
func (p *psRow) Status() string { return p.st.Describe(p.now) }
func (p *psRow) State() string  { return p.st.Status }
func (p *psRow) Names() string  { return p.r.Name }

// Ports is Docker's PORTS column: 0.0.0.0:8080->80/tcp, while it runs.
func (p *psRow) Ports() string {
	ns := p.r.NetworkSettings
	if ns == nil || !p.st.Running {
		return ""
	}
	var out []string
	for k, bs := range ns.Ports {
		for _, b := range bs {
			out = append(out, b.HostIp+":"+b.HostPort+"->"+k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
func (p *psRow) Mounts() string {
	var m []string
	for _, mp := range p.r.Mounts {
		if mp.Name != "" {
			m = append(m, mp.Name)
		} else {
			m = append(m, mp.Source)
		}
	}
	return strings.Join(m, ",")
}
func (p *psRow) Networks() string { return p.r.HostConfig.NetworkMode }

// Labels is k=v,k=v, sorted.
func (p *psRow) Labels() string {
	var l []string
	for k, v := range p.r.Config.Labels {
		l = append(l, k+"="+v)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

// Label is one label's value, "" if it has none.
func (p *psRow) Label(k string) string { return p.r.Config.Labels[k] }

// MarshalJSON is --format json's object: each field as a string, as
// Docker's.
func (p *psRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"ID": p.ID(), "Image": p.Image(), "Command": p.Command(), "CreatedAt": p.CreatedAt(),
		"RunningFor": p.RunningFor(), "Status": p.Status(), "State": p.State(), "Names": p.Names(),
		"Labels": p.Labels(), "Ports": p.Ports(), "Mounts": p.Mounts(), "Networks": p.Networks(),
	})
}

// psHeader is a table's header row: each field's column title.
type psHeader struct{}

func (psHeader) ID() string                   { return "CONTAINER ID" }
func (psHeader) Image() string                { return "IMAGE" }
func (psHeader) Command() string              { return "COMMAND" }
func (psHeader) CreatedAt() string            { return "CREATED AT" }
func (psHeader) RunningFor() string           { return "CREATED" }
func (psHeader) Status() string               { return "STATUS" }
func (psHeader) State() string                { return "STATE" }
func (psHeader) Names() string                { return "NAMES" }
func (psHeader) Ports() string                { return "PORTS" }
func (psHeader) Mounts() string               { return "MOUNTS" }
func (psHeader) Networks() string             { return "NETWORKS" }
func (psHeader) Labels() string               { return "LABELS" }
func (psHeader) Label(string) string          { return "LABEL" }
func (psHeader) MarshalJSON() ([]byte, error) { return []byte(`"HEADER"`), nil }

// ellipsis shortens s to n characters, the last one "…", as Docker's
// COMMAND column.
func ellipsis(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
