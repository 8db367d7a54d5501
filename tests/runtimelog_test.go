package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With --log, a warning goes to the log as runc writes it, not to stderr:
// under containerd's shim (Docker, Kubernetes) the runtime's stderr is
// the container's own, and a warning there showed up in `docker run`'s
// output and `docker logs`.
func TestWarningGoesToLog(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/sys/module/apparmor"); err == nil {
		t.Skip("this host has AppArmor: the profile is not ignored with a warning here")
	}
	s := defaultSpec(t, "true")
	s.Process.ApparmorProfile = "docker-default"
	log := filepath.Join(t.TempDir(), "log.json")
	r := runSpec(t, s, "", "--log", log, "--log-format", "json")
	if r.code != 0 {
		t.Fatalf("run: exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "apparmorProfile") {
		t.Errorf("the warning is on stderr, the container's own under a shim: %q", r.stderr)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if strings.Contains(e.Msg, `process.apparmorProfile "docker-default" ignored`) {
			found = true
			if e.Level != "warning" {
				t.Errorf("level %q, want logrus's \"warning\"", e.Level)
			}
		}
	}
	if !found {
		t.Errorf("no warning in the log: %q", data)
	}

	// Without --log, the warning stays on stderr.
	r = runSpec(t, s, "")
	mustContain(t, "stderr without --log", r.stderr, `process.apparmorProfile "docker-default" ignored: this host has no AppArmor`)
}
