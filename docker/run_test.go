package docker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
)

// What Run refuses before it mounts anything needs no root: the image the
// store does not hold (with --pull never: no registry is asked), a pull
// policy it doesn't know, a name in use, a context already done.
func TestRunRefusesBeforeMounting(t *testing.T) {
	store, err := image.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), &container.Runtime{}, store, &RunOptions{Image: "alpine", Pull: PullNever}, container.IO{})
	want := "No such image: alpine:latest (not found locally, and --pull never)"
	if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != want || errdefs.ExitCode(err) != 125 {
		t.Fatalf("a missing image: %v (exit %d)", err, errdefs.ExitCode(err))
	}
	_, err = Run(context.Background(), &container.Runtime{}, store, &RunOptions{Image: "alpine", Pull: "sometimes"}, container.IO{})
	if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Fatalf("an unknown pull policy: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, &container.Runtime{}, store, &RunOptions{Image: "alpine"}, container.IO{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: %v", err)
	}
	if ents, _ := os.ReadDir(store.ContainersDir()); len(ents) != 0 {
		t.Fatalf("a refused run left %d containers", len(ents))
	}
}

func TestNamesAndRecords(t *testing.T) {
	dir := t.TempDir()
	id := strings.Repeat("ab", 32)
	if err := os.Mkdir(filepath.Join(dir, id), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := (Record{ID: id, Name: "web", Image: "busybox", Created: time.Now()}).Save(filepath.Join(dir, id)); err != nil {
		t.Fatal(err)
	}
	if r, err := Find(dir, "abab"); err != nil || r.Name != "web" || r.Image != "busybox" {
		t.Fatalf("Find by prefix: %+v %v", r, err)
	}
	for name, class := range map[string]error{"web": errdefs.ErrExists, "-x": errdefs.ErrInvalid, "a/b": errdefs.ErrInvalid} {
		if err := CheckName(dir, name); !errors.Is(err, class) {
			t.Errorf("CheckName(%q) = %v, want %v", name, err, class)
		}
	}
	if err := CheckName(dir, "db"); err != nil {
		t.Errorf("a free name: %v", err)
	}
	if _, err := Find(dir, "db"); !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "no such container: db" {
		t.Errorf("Find of an unknown name: %v", err)
	}
}

// Every flag BuildSpec refuses is ErrInvalid, with its message as before.
func TestBuildSpecRefusalsAreInvalid(t *testing.T) {
	img := &image.Image{Name: "busybox"}
	img.Config.Cmd = []string{"sh"}
	for _, c := range []struct {
		o    RunOptions
		want string
	}{
		{RunOptions{SecurityOpts: []string{"selinux=x"}}, `--security-opt "selinux=x": unknown option (want seccomp=, no-new-privileges)`},
		{RunOptions{Volumes: []string{"./rel:/data"}}, `-v "./rel:/data": "./rel" is neither an absolute host path nor a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)`},
		{RunOptions{Ulimits: []string{"nofile=x"}}, `--ulimit "nofile=x": strconv.ParseUint: parsing "x": invalid syntax`},
		{RunOptions{Memory: "lots"}, `--memory "lots": want a size such as 64m`},
		{RunOptions{CPUs: "-1"}, `--cpus "-1": want a positive number such as 0.5`},
		{RunOptions{Network: "none", Net: NetworkOptions{Publish: []string{"8080:80"}}}, `-p: ports can't be published with --network none`},
		{RunOptions{Net: NetworkOptions{Publish: []string{"80/sctp"}}}, `-p 80/sctp: protocol "sctp": want tcp or udp`},
		{RunOptions{Network: "host", Net: NetworkOptions{IP: "10.0.0.2"}}, `--ip and --mac-address need a bridge or user network, not host`},
		{RunOptions{Workdir: "tmp"}, `-w "tmp": the working directory must be absolute`},
		{RunOptions{Env: []string{"A B=1"}}, `-e: bad variable "A B=1"`},
		{RunOptions{Image: "scratch"}, `no command: the image scratch has no Cmd or Entrypoint and none was given`},
		{RunOptions{CapAdd: []string{"NOPE"}}, `--cap-add: unknown capability "NOPE"`},
	} {
		i := img
		if c.o.Image == "scratch" {
			i = &image.Image{Name: "scratch"}
		}
		_, err := BuildSpec(Container{ID: strings.Repeat("0", 64), Image: i, Rootfs: t.TempDir(), Dir: t.TempDir()}, &c.o)
		if !errors.Is(err, errdefs.ErrInvalid) || c.want != "" && err.Error() != c.want {
			t.Errorf("%+v: %v", c.o, err)
		}
	}
}

// Docker's byte sizes: 64m is 64 MiB, and so is 64mb.
func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{"64m": 64 << 20, "64mb": 64 << 20, "1g": 1 << 30, "512k": 512 << 10, "1048576": 1 << 20, "100b": 100} {
		if got, err := parseMemory(in); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "m", "1kk", "1.5g"} {
		if v, err := parseMemory(in); err == nil {
			t.Errorf("parseMemory(%q) = %d, want an error", in, v)
		}
	}
}
