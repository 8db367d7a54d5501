package container

import (
	"os"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/errdefs"
)

// RunRole runs this process as what minirun re-executed it for, if it
// was: a container's init, a user namespace holder or a reaper. None of
// them returns. onReaped, when set, runs after a reaper deleted its
// container (the Docker front removes a `run --rm` container's layer and
// record there).
func RunRole(onReaped func(id string) error) {
	switch {
	case initproc.IsInit():
		initproc.Init()
	case IsUsernsHolder():
		HoldUserns()
	case IsReaper():
		t, err := ReaperArgs()
		if err == nil {
			var did bool
			if did, err = Reap(t); did && err == nil && onReaped != nil {
				err = onReaped(t.ID)
			}
		}
		if err != nil {
			os.Exit(errdefs.ExitRuntime)
		}
		os.Exit(0)
	}
}
