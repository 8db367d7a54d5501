package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/seccomp"
)

// The flags' rules, as both run modes check them before the start.
func TestRequestOpen(t *testing.T) {
	noProfile := Target{Source: func() (*Source, error) { return nil, nil }}
	for _, c := range []struct {
		r    Request
		want string
	}{
		{Request{RecordMerge: true}, "seccomp record: --seccomp-record-merge needs --seccomp-record FILE"},
		{Request{Report: true, Record: "p.json"}, "seccomp report: --seccomp-report and --seccomp-record each need the notifications of one filter; use one at a time"},
		{Request{Report: true}, "seccomp report: the container has no seccomp profile (unconfined or privileged): nothing would be refused"},
	} {
		w, err := c.r.Open(noProfile)
		if w != nil || !errors.Is(err, errdefs.ErrInvalid) || err.Error() != c.want {
			t.Errorf("%+v: %v, %v", c.r, w, err)
		}
	}
	w, err := Request{}.Open(noProfile)
	if w != nil || err != nil || w.Watcher() != nil || w.Finish(nil) != nil {
		t.Fatalf("no flags: %v %v", w, err)
	}
	src := OCISource("config.json linux.seccomp", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
	w, err = Request{Report: true, ReportFile: "r.json"}.Open(Target{Source: func() (*Source, error) { return src, nil }})
	if err != nil || w.Watcher() == nil || w.Watcher().Recording() || !filepath.IsAbs(w.reportFile) {
		t.Fatalf("report: %+v %v", w, err)
	}
}

// Finish of a watch that saw nothing: an empty report on stderr or in
// its file, and a recorded profile that holds what the runtime needs and
// loads.
func TestSessionFinish(t *testing.T) {
	dir := t.TempDir()
	src := OCISource("config.json linux.seccomp", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
	target := Target{Source: func() (*Source, error) { return src, nil }}
	w, err := Request{Report: true}.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if err := w.Finish(&stderr); err != nil || stderr.Len() == 0 {
		t.Fatalf("text report: %v %q", err, stderr.String())
	}
	file := filepath.Join(dir, "report.json")
	if w, err = (Request{Report: true, ReportFile: file}).Open(target); err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(file); err != nil || json.Unmarshal(data, &r) != nil || len(r.Denials) != 0 {
		t.Fatalf("JSON report: %v %+v", err, r)
	}
	file = filepath.Join(dir, "recorded.json")
	target.Spec = &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}}}
	target.Required = func() []string { return []string{"execve", "close"} }
	if w, err = (Request{Record: file}).Open(target); err != nil || !w.Watcher().Recording() {
		t.Fatal(err)
	}
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), `"execve"`) {
		t.Fatalf("recorded profile: %v\n%s", err, data)
	}
	if _, err := seccomp.ParseProfile(data, []string{"CAP_KILL"}); err != nil {
		t.Fatalf("the recorded profile does not load: %v", err)
	}
	// Merged into on the next recording, and written over whole.
	if w, err = (Request{Record: file, RecordMerge: true}).Open(target); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("left beside the files: %v", ents)
	}
}
