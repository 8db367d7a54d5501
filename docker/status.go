package docker

import (
	"fmt"
	"math"
	"time"
)

// Describe is the state as `docker ps` shows it in STATUS: "Up 3
// seconds", "Up 3 seconds (Paused)", "Restarting (1) 2 seconds ago",
// "Exited (7) 2 minutes ago", "Created", "Dead".
func (s ContainerState) Describe(now time.Time) string {
	switch s.Status {
	case StatusRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, HumanDuration(now.Sub(s.FinishedAt)))
	case StatusRunning:
		return "Up " + HumanDuration(now.Sub(s.StartedAt))
	case StatusPaused:
		return "Up " + HumanDuration(now.Sub(s.StartedAt)) + " (Paused)"
	case StatusDead:
		return "Dead"
	case StatusExited:
		if s.FinishedAt.IsZero() {
			return fmt.Sprintf("Exited (%d)", s.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, HumanDuration(now.Sub(s.FinishedAt)))
	}
	return "Created"
}

// HumanDuration is d in the words Docker's CLI uses for ages ("Less than
// a second", "3 seconds", "About a minute", "5 hours", "2 weeks"): each
// unit from twice the one below it, counted down.
func HumanDuration(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s < 1:
		return "Less than a second"
	case int(s) == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", int(s))
	}
	m := int(d.Minutes())
	switch {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	h := int(math.Round(d.Hours()))
	const day, week, month, year = 24, 24 * 7, 24 * 30, 24 * 365
	switch {
	case h == 1:
		return "About an hour"
	case h < 2*day:
		return fmt.Sprintf("%d hours", h)
	case h < 2*week:
		return fmt.Sprintf("%d days", h/day)
	case h < 2*month:
		return fmt.Sprintf("%d weeks", h/week)
	case h < 2*year:
		return fmt.Sprintf("%d months", h/month)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/year)
}

// CommandLine is the container's command as one string, as ps shows it
// before quoting.
func (r *Record) CommandLine() string {
	cmd := r.Path
	for _, a := range r.Args {
		cmd += " " + a
	}
	return cmd
}
