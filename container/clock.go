package container

import (
	"fmt"
	"time"
)

// started is when this process's Go code began; --debug lines carry the
// time since then, so a trace also shows where start-up time goes.
var started = time.Now()

func sinceStart() string {
	return fmt.Sprintf("%6.2fms", float64(time.Since(started).Microseconds())/1000)
}
