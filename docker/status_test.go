package docker

import (
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		st   ContainerState
		want string
	}{
		{ContainerState{InspectState: InspectState{Status: StatusRunning, StartedAt: now.Add(-3 * time.Second)}}, "Up 3 seconds"},
		{ContainerState{InspectState: InspectState{Status: StatusPaused, StartedAt: now.Add(-time.Minute)}}, "Up About a minute (Paused)"},
		{ContainerState{InspectState: InspectState{Status: StatusExited, ExitCode: 7, FinishedAt: now.Add(-2 * time.Minute)}}, "Exited (7) 2 minutes ago"},
		{ContainerState{InspectState: InspectState{Status: StatusRestarting, ExitCode: 1, FinishedAt: now.Add(-2 * time.Second)}}, "Restarting (1) 2 seconds ago"},
		{ContainerState{InspectState: InspectState{Status: StatusCreated}}, "Created"},
		{ContainerState{InspectState: InspectState{Status: StatusRunning, StartedAt: now.Add(-50 * time.Hour)}}, "Up 2 days"},
		{ContainerState{InspectState: InspectState{Status: StatusRunning, StartedAt: now.Add(-500 * time.Millisecond)}}, "Up Less than a second"},
		{ContainerState{InspectState: InspectState{Status: StatusRunning, StartedAt: now.Add(-65 * time.Minute)}}, "Up About an hour"},
	} {
		if got := c.st.Describe(now); got != c.want {
			t.Errorf("%+v: %q, want %q", c.st, got, c.want)
		}
	}
}
