package docker

import (
	"testing"
	"time"
)

func TestParseRestartPolicy(t *testing.T) {
	for in, want := range map[string]RestartPolicy{
		"":             {Name: "no"},
		"no":           {Name: "no"},
		"always":       {Name: "always"},
		"on-failure":   {Name: "on-failure"},
		"on-failure:2": {Name: "on-failure", MaximumRetryCount: 2},
	} {
		got, err := ParseRestartPolicy(in)
		if err != nil || got != want {
			t.Errorf("ParseRestartPolicy(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"sometimes", "on-failure:x", "on-failure:-1", "always:3"} {
		if _, err := ParseRestartPolicy(bad); err == nil {
			t.Errorf("ParseRestartPolicy(%q) took it", bad)
		}
	}
}

func TestRestartWanted(t *testing.T) {
	onFailure2 := RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}
	cases := []struct {
		p    RestartPolicy
		st   ContainerState
		code int
		want bool
	}{
		{RestartPolicy{Name: "no"}, ContainerState{}, 1, false},
		{onFailure2, ContainerState{}, 0, false},
		{onFailure2, ContainerState{RestartCount: 1}, 1, true},
		{onFailure2, ContainerState{RestartCount: 2}, 1, false},
		{RestartPolicy{Name: "always"}, ContainerState{}, 0, true},
		{RestartPolicy{Name: "always"}, ContainerState{StoppedByUser: true}, 137, false},
	}
	for _, c := range cases {
		if got := restartWanted(c.p, c.st, c.code); got != c.want {
			t.Errorf("restartWanted(%+v, %+v, %d) = %v", c.p, c.st, c.code, got)
		}
	}
}

func TestNextBackoff(t *testing.T) {
	d := nextBackoff(0, 0)
	if d != firstBackoff {
		t.Fatalf("first back-off %v", d)
	}
	if d = nextBackoff(d, time.Millisecond); d != 2*firstBackoff {
		t.Fatalf("second back-off %v", d)
	}
	if d = nextBackoff(d, backoffReset); d != firstBackoff {
		t.Fatalf("back-off after a long run %v", d)
	}
	if d = nextBackoff(maxBackoff, 0); d != maxBackoff {
		t.Fatalf("back-off beyond the cap %v", d)
	}
}
