package initproc

import (
	"github.com/minirun/minirun/internal/netlo"
	"github.com/minirun/minirun/internal/trace"
)

// loopbackUp brings lo up in the network namespace the init made.
func loopbackUp(log trace.Logger) error {
	if err := netlo.Up(); err != nil {
		return err
	}
	log("network: lo up")
	return nil
}
