package procstat

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestReadStat(t *testing.T) {
	st, err := ReadStat(os.Getpid())
	if err != nil || st.Exited() || st.StartTime == 0 {
		t.Fatalf("own stat: %+v %v", st, err)
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for !Exited(cmd.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatal("an exited child never showed as exited")
		}
		time.Sleep(time.Millisecond)
	}
	if !Exited(1 << 30) {
		t.Fatal("a pid that does not exist counts as running")
	}
}
