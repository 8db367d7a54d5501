package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/minirun/minirun/container/initproc"
)

// A process still named like the init that has died is an init that never
// reached execve; one that carries another name went through it.
func TestConfirmExec(t *testing.T) {
	fake := filepath.Join(t.TempDir(), initproc.Name)
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to copy")
	}
	if err := os.WriteFile(fake, data, 0o755); err != nil {
		t.Fatal(err)
	}
	died := exec.Command(fake)
	if err := died.Start(); err != nil {
		t.Fatal(err)
	}
	defer died.Wait()
	time.Sleep(50 * time.Millisecond) // let it exit; it stays a zombie until Wait
	if err := confirmExec(died.Process.Pid); err == nil {
		t.Fatal("a dead init was taken for an exec'd command")
	}
	other := exec.Command("sleep", "1")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer other.Wait()
	if err := confirmExec(other.Process.Pid); err != nil {
		t.Fatalf("an exec'd command was taken for a dead init: %v", err)
	}
}
