package dockercmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/cmd/internal/dockerformat"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
)

// Inspect is `inspect [--type container|image|volume] [-f FORMAT] NAME...`.
func Inspect() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "print containers' or images' details as Docker's JSON, or through a Go template",
		ArgsUsage: "NAME|ID...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "type", Usage: "container, image or volume (default: a container, else an image)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "a Go template over each object, e.g. '{{.State.Status}}'"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return errors.New("inspect: name at least one container or image")
			}
			kind := c.String("type")
			switch kind {
			case "", "container", "image":
			case "volume":
				return errdefs.New(errdefs.ErrInvalid, "inspect --type volume: volumes are not yet in minirun")
			default:
				return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("inspect --type %q: want container, image or volume", kind))
			}
			var objs []any
			var failed []error
			for _, ref := range c.Args().Slice() {
				obj, err := inspectOne(c, kind, ref)
				if err != nil {
					failed = append(failed, err)
					continue
				}
				objs = append(objs, obj)
			}
			// What was found is printed, then the errors, as Docker's;
			// nothing at all when nothing was found.
			if len(objs) > 0 || len(failed) == 0 {
				if err := printInspected(c.String("format"), objs); err != nil {
					return err
				}
			}
			return errors.Join(failed...)
		},
	}
}

// inspectOne is ref as a container or, failing that, an image.
func inspectOne(c *cli.Context, kind, ref string) (any, error) {
	if kind != "image" {
		obj, err := inspectContainer(c, ref)
		if err == nil || kind == "container" || !errors.Is(err, errdefs.ErrNotFound) {
			return obj, err
		}
	}
	s, err := openImageStore(c)
	if err != nil {
		return nil, err
	}
	img, err := s.Get(ref)
	if errors.Is(err, image.ErrNotFound) {
		what := "object"
		if kind == "image" {
			what = "image"
		}
		return nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("inspect: no such %s: %s", what, ref))
	}
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	return imageDetails(img), nil
}

// containerDetails is a container as `docker inspect` prints it, in its
// order.
type containerDetails struct {
	ID              string `json:"Id"`
	Created         time.Time
	Path            string
	Args            []string
	State           docker.InspectState
	Image           string
	ResolvConfPath  string
	HostnamePath    string
	HostsPath       string
	LogPath         string
	Name            string
	RestartCount    int
	Driver          string
	Platform        string
	HostConfig      docker.HostConfig
	Mounts          []docker.MountPoint
	Config          configDetails
	NetworkSettings docker.NetworkSettings
}

type configDetails struct {
	docker.RecordConfig
	Image string
}

// networkDetails is empty until minirun has networks.
func inspectContainer(c *cli.Context, ref string) (*containerDetails, error) {
	id, err := cmdline.ContainerRef(c, ref)
	if err != nil {
		return nil, err
	}
	dir := containersDir(c)
	rt := cmdline.RuntimeOf(c)
	r, err := docker.Find(dir, id)
	if errors.Is(err, errdefs.ErrNotFound) {
		// An engine's container (runc's form) has no record: its
		// runtime state is all there is to show.
		if ctr, lerr := rt.Load(id); lerr == nil {
			if rs, serr := ctr.State(); serr == nil {
				r, err = &docker.Record{ID: id, Created: rs.Created}, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	st := docker.LiveState(rt, containersDir(c), r)
	own := filepath.Join(dir, r.ID)
	d := &containerDetails{
		ID: r.ID, Created: r.Created, Path: r.Path, Args: nonNil(r.Args),
		State:          st.InspectState,
		Image:          r.ImageID,
		ResolvConfPath: filepath.Join(own, "resolv.conf"), HostnamePath: filepath.Join(own, "hostname"),
		HostsPath: filepath.Join(own, "hosts"), LogPath: docker.LogFile(filepath.Dir(own), r.ID),
		Name: "/" + r.Name, RestartCount: st.RestartCount, Driver: "overlay", Platform: "linux",
		HostConfig: r.HostConfig, Mounts: r.Mounts,
		Config:          configDetails{RecordConfig: r.Config, Image: r.Image},
		NetworkSettings: docker.NetworkSettings{Ports: map[string][]docker.PortBinding{}, Networks: map[string]docker.EndpointSettings{}},
	}
	if r.NetworkSettings != nil && st.Running {
		d.NetworkSettings = *r.NetworkSettings
	}
	if d.Mounts == nil {
		d.Mounts = []docker.MountPoint{}
	}
	return d, nil
}

// imageDetails is an image as `docker inspect` prints it. The store keeps
// no creation time; Created is the zero time until it does.
type imageDetailsT struct {
	ID           string `json:"Id"`
	RepoTags     []string
	RepoDigests  []string
	Created      time.Time
	Config       image.Config
	Architecture string
	Os           string
	Size         int64
	RootFS       struct {
		Type   string
		Layers []string
	}
}

func imageDetails(img *image.Image) *imageDetailsT {
	d := &imageDetailsT{
		ID: img.ID, RepoTags: []string{img.Name}, RepoDigests: []string{}, Config: img.Config,
		// The store unpacks images of this machine's platform only.
		Architecture: runtime.GOARCH, Os: "linux", Size: img.Size,
	}
	d.RootFS.Type, d.RootFS.Layers = "layers", []string{}
	for _, l := range img.Layers {
		d.RootFS.Layers = append(d.RootFS.Layers, "sha256:"+filepath.Base(filepath.Dir(l)))
	}
	return d
}

// printInspected prints objs as Docker's indented JSON array, or each
// through the template format, a line each. A template sees the JSON's
// own keys (so {{.Name}} is "/web", as in Docker), with numbers kept
// as written.
func printInspected(format string, objs []any) error {
	if format == "" {
		if objs == nil {
			objs = []any{}
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "    ")
		if err := enc.Encode(objs); err != nil {
			return err
		}
		_, err := os.Stdout.Write(b.Bytes())
		return err
	}
	if format == "json" {
		format = "{{json .}}"
	}
	p, err := dockerformat.NewPrinter(os.Stdout, format, nil)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	for _, o := range objs {
		data, err := json.Marshal(o)
		if err != nil {
			return err
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := p.Print(v); err != nil {
			return fmt.Errorf("inspect: %w", err)
		}
	}
	return p.Flush()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
