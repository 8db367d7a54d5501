package inspect

import (
	"testing"

	"github.com/minirun/minirun/seccomp/internal/seccomptest"
)

// dockerCaps are Docker's 14 default capabilities.
var dockerCaps = seccomptest.DockerCaps

func TestMain(m *testing.M) { seccomptest.Main(m, "inspect") }
