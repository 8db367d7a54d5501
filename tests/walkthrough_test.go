package tests

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var walkthroughDocs = []string{"../docs/seccomp-walkthrough.md", "../docs/seccomp-walkthrough.zh.md"}

// The walkthrough docs show real output: their commands, run again, still
// print what is shown (scripts/walkthrough.go -check; `make walkthrough`
// regenerates them). Both languages show the same commands.
func TestWalkthrough(t *testing.T) {
	needRoot(t)
	var cmds [][]string
	for _, d := range walkthroughDocs {
		body, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		var c []string
		for _, l := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(l, "$ ") {
				c = append(c, l)
			}
		}
		if len(c) < 15 || strings.Count(string(body), "```console") < 10 {
			t.Fatalf("%s: %d commands in %d console blocks; the walkthrough has lost its scenes", d, len(c), strings.Count(string(body), "```console"))
		}
		mustContain(t, d, string(body), "unshare(0x0) = EPERM, 1 time, pid ")
		cmds = append(cmds, c)
	}
	if !slices.Equal(cmds[0], cmds[1]) {
		t.Errorf("the English and Chinese walkthroughs show different commands:\n%q\n%q", cmds[0], cmds[1])
	}
	// From the repository's root, where the script finds tests/mkrootfs.sh.
	args := []string{"run", "scripts/walkthrough.go", "-check", "-bin", minirun}
	for _, d := range walkthroughDocs {
		args = append(args, strings.TrimPrefix(d, "../"))
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough check: %v\n%s", err, out)
	}
}
