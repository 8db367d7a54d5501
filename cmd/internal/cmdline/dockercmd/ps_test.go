package dockercmd

import (
	"strings"
	"testing"
	"time"

	"github.com/minirun/minirun/docker"
)

// --filter: values of one key are alternatives, keys must all hold.
func TestPsFilters(t *testing.T) {
	web := &psRow{r: &docker.Record{ID: "abc123", Name: "web", Config: docker.RecordConfig{Labels: map[string]string{"tier": "front", "x": ""}}},
		st: docker.ContainerState{InspectState: docker.InspectState{Status: docker.StatusRunning}}}
	db := &psRow{r: &docker.Record{ID: "def456", Name: "db", Config: docker.RecordConfig{Labels: map[string]string{"tier": "back"}}},
		st: docker.ContainerState{InspectState: docker.InspectState{Status: docker.StatusExited, ExitCode: 7}}}
	for _, c := range []struct {
		filters []string
		want    string
	}{
		{nil, "web db"},
		{[]string{"status=running"}, "web"},
		{[]string{"status=running", "status=exited"}, "web db"},
		{[]string{"status=exited", "name=web"}, ""},
		{[]string{"label=tier"}, "web db"},
		{[]string{"label=tier=back"}, "db"},
		{[]string{"label=x"}, "web"},
		{[]string{"label=tier", "label=x"}, "web db"},
		{[]string{"name=^/?w"}, "web"},
		{[]string{"id=def"}, "db"},
		{[]string{"exited=7"}, "db"},
	} {
		f, err := parsePsFilters(c.filters)
		if err != nil {
			t.Fatalf("%v: %v", c.filters, err)
		}
		var got []string
		for _, row := range []*psRow{web, db} {
			if f.match(row) {
				got = append(got, row.r.Name)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%v: %v, want %q", c.filters, got, c.want)
		}
	}
	for _, bad := range []string{"status=sleeping", "colour=blue", "name", "exited=x", "name=("} {
		if _, err := parsePsFilters([]string{bad}); err == nil {
			t.Errorf("--filter %s: accepted", bad)
		}
	}
}

func TestPsRowFields(t *testing.T) {
	now := time.Now()
	row := &psRow{r: &docker.Record{ID: strings.Repeat("f", 64), Path: "/docker-entrypoint.sh", Args: []string{"nginx", "-g", "daemon off;"},
		Created: now.Add(-5 * time.Minute)}, st: docker.ContainerState{InspectState: docker.InspectState{Status: docker.StatusExited, ExitCode: 7, FinishedAt: now.Add(-2 * time.Minute)}}, trunc: true, now: now}
	if got, want := row.Command(), `"/docker-entrypoint.…"`; got != want {
		t.Errorf("Command: %s, want %s", got, want)
	}
	if got := row.ID(); got != strings.Repeat("f", 12) {
		t.Errorf("ID: %s", got)
	}
	if got := row.RunningFor(); got != "5 minutes ago" {
		t.Errorf("RunningFor: %s", got)
	}
	if got := row.Status(); got != "Exited (7) 2 minutes ago" {
		t.Errorf("Status: %s", got)
	}
}
