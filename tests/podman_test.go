package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPodmanDrivesMinirun runs podman.sh: podman (with conmon) using
// minirun as its runtime through run --rm, -d/exec/stop/rm and a custom
// seccomp profile.
func TestPodmanDrivesMinirun(t *testing.T) {
	needRoot(t)
	if testing.Short() {
		t.Skip("podman scenes are slow; skipped with -short")
	}
	cmd := exec.Command("./podman.sh", minirun, rootfs)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 77 {
		t.Skipf("podman unavailable: %s", strings.TrimSpace(text))
	}
	t.Logf("podman.sh:\n%s", text)
	if err != nil || !strings.Contains(text, "PASS") {
		t.Fatalf("podman.sh: %v", err)
	}
}
