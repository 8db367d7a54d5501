package docker

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestCheckPlatform(t *testing.T) {
	for p, ok := range map[string]bool{
		"": true, "linux": true, "linux/" + runtime.GOARCH: true, "LINUX/" + runtime.GOARCH: true,
		"linux/s390x": false, "windows/" + runtime.GOARCH: false, "linux/" + runtime.GOARCH + "/v2/x": false,
	} {
		if err := checkPlatform(p); (err == nil) != ok {
			t.Errorf("--platform %q: %v, want accepted %v", p, err, ok)
		}
	}
}

func TestParseLabels(t *testing.T) {
	f := filepath.Join(t.TempDir(), "labels")
	os.WriteFile(f, []byte("# c\n\na=file\nb=2\n"), 0o644)
	got, err := parseLabels([]string{"a=flag", "bare", "c=x=y"}, []string{f})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "flag", "b": "2", "bare": "", "c": "x=y"}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	if _, err := parseLabels([]string{"=v"}, nil); err == nil {
		t.Error("an empty key was accepted")
	}
}

func TestAddDevice(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip("no /dev/null here")
	}
	for d, want := range map[string]struct{ path, access string }{
		"/dev/null":                {"/dev/null", "rwm"},
		"/dev/null:r":              {"/dev/null", "r"},
		"/dev/null:/dev/mynull":    {"/dev/mynull", "rwm"},
		"/dev/null:/dev/mynull:rw": {"/dev/mynull", "rw"},
	} {
		s := &specs.Spec{Linux: &specs.Linux{}}
		if err := addDevice(s, d); err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		if s.Linux.Devices[0].Path != want.path || s.Linux.Resources.Devices[0].Access != want.access || s.Linux.Devices[0].Major != 1 {
			t.Errorf("%s: %+v %+v", d, s.Linux.Devices[0], s.Linux.Resources.Devices[0])
		}
	}
	if fi, err := os.Stat("/dev/pts"); err == nil && fi.IsDir() {
		s := &specs.Spec{Linux: &specs.Linux{}}
		if err := addDevice(s, "/dev/pts:/dev/mypts:r"); err != nil {
			t.Errorf("a directory: %v", err)
		}
		for i, d := range s.Linux.Devices {
			if !strings.HasPrefix(d.Path, "/dev/mypts/") || s.Linux.Resources.Devices[i].Access != "r" {
				t.Errorf("a directory's node %+v, rule %+v", d, s.Linux.Resources.Devices[i])
			}
		}
	}
	for _, d := range []string{"/dev/null:/dev/x:rwx", "dev/null", "/dev/null:/a:r:b", "/etc/hostname"} {
		if err := addDevice(&specs.Spec{Linux: &specs.Linux{}}, d); err == nil {
			t.Errorf("--device %s accepted", d)
		}
	}
}

// A missing init is one line naming the path and the package.
func TestAddInitMissing(t *testing.T) {
	saved := InitPath
	defer func() { InitPath = saved }()
	InitPath = filepath.Join(t.TempDir(), "no-tini")
	s := &specs.Spec{Process: &specs.Process{Args: []string{"sh"}}}
	err := addInit(s)
	if err == nil || !strings.Contains(err.Error(), InitPath) || !strings.Contains(err.Error(), "tini") {
		t.Fatalf("addInit without an init: %v", err)
	}
	if len(s.Mounts) != 0 || len(s.Process.Args) != 1 {
		t.Errorf("the spec changed: %+v", s)
	}
}
