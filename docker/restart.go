package docker

import (
	"strconv"
	"strings"
	"time"
)

// ParseRestartPolicy reads --restart: no, on-failure[:N], always or
// unless-stopped, as Docker spells them.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "", "no":
		p.Name = "no"
	case "always", "unless-stopped":
	case "on-failure":
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return p, invalidf("--restart %q: the retry count must be a number of 0 or more", s)
			}
			p.MaximumRetryCount = n
			return p, nil
		}
	default:
		return p, invalidf("--restart %q: want no, on-failure[:N], always or unless-stopped", s)
	}
	if hasCount {
		return p, invalidf("--restart %q: only on-failure takes a retry count", s)
	}
	return p, nil
}

// restartWanted says whether the policy starts the container again
// after it exited with code: never after the user stopped or killed it,
// and for on-failure only after a failure, up to the retry count (0:
// no limit).
func restartWanted(p RestartPolicy, st ContainerState, code int) bool {
	if st.StoppedByUser {
		return false
	}
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaximumRetryCount == 0 || st.RestartCount < p.MaximumRetryCount)
	}
	return false
}

// Docker's back-off between restarts: it starts at 100 ms and doubles
// each time, up to a minute; a container that ran for 10 s or more
// starts the series again.
const (
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = time.Minute
	backoffReset = 10 * time.Second
)

// nextBackoff is the delay before the next restart, given the last one
// and how long the container ran.
func nextBackoff(last, ran time.Duration) time.Duration {
	if last == 0 || ran >= backoffReset {
		return firstBackoff
	}
	return min(2*last, maxBackoff)
}
