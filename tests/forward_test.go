package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// minirun (cmd/minirun, without the Docker front) hands its Docker-style
// commands to minirun-docker (cmd/minirun-docker) beside it, and only to
// one it can trust: missing, writable by others, or a lean build itself,
// it is refused with one line and exit 125.
func TestLeanMiniRunForwardsDockerCommands(t *testing.T) {
	needMinirun(t)
	docker := filepath.Join(filepath.Dir(minirun), "minirun-docker")
	if !exists(docker) {
		t.Skip("minirun has no minirun-docker beside it (MINIRUN_BIN names a minirun installed alone)")
	}
	store := t.TempDir()
	run := func(bin string, args ...string) result {
		return runBinary(t, bin, "", append([]string{"--store", store}, args...)...)
	}
	if r := run(minirun, "images"); r.code != 0 || r.stdout == "" {
		t.Fatalf("images through the lean minirun: %+v", r)
	}
	if r := run(minirun, "run", "no-such-image", "true"); r.code != 125 || !bytes.Contains([]byte(r.stderr), []byte("no-such-image")) {
		t.Fatalf("run IMAGE through the lean minirun: %+v", r)
	}

	cp := func(src, dst string, mode os.FileMode) {
		t.Helper()
		if out, err := exec.Command("cp", src, dst).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v: %s", err, out)
		}
		if err := os.Chmod(dst, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		setUp func(dir string)
		want  []string
	}{
		{"missing", func(string) {}, []string{"forward", "minirun-docker", "not beside"}},
		{"group-writable", func(dir string) { cp(docker, filepath.Join(dir, "minirun-docker"), 0o775) }, []string{"forward", "not safe"}},
		{"a lean build", func(dir string) { cp(minirun, filepath.Join(dir, "minirun-docker"), 0o755) }, []string{"forward", "lean build"}},
		{"another build", func(dir string) {
			if _, err := exec.LookPath("go"); err != nil {
				t.Skip("needs the go tool to build a second minirun-docker")
			}
			build := exec.Command("go", "build", "-tags", "osusergo,netgo", "-ldflags", "-X github.com/minirun/minirun/internal/version.Commit=another-build",
				"-o", filepath.Join(dir, "minirun-docker"), "../cmd/minirun-docker")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build minirun-docker: %v: %s", err, out)
			}
		}, []string{"forward", "another-build", "one build"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			bin := filepath.Join(dir, "minirun")
			cp(minirun, bin, 0o755)
			c.setUp(dir)
			checkFailure(t, run(bin, "images"), exitDocker, c.want...)
		})
	}
}

// Each program writes out its command list (cmd/minirun/main.go,
// cmd/minirun-docker/main.go): both must list the same commands with the
// same usage lines, as help shows them.
func TestBothProgramsListTheSameCommands(t *testing.T) {
	needMinirun(t)
	docker := filepath.Join(filepath.Dir(minirun), "minirun-docker")
	if !exists(docker) {
		t.Skip("minirun has no minirun-docker beside it (MINIRUN_BIN names a minirun installed alone)")
	}
	commands := func(bin string) []string {
		t.Helper()
		r := runBinary(t, bin, "", "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: %+v", bin, r)
		}
		// The lines between COMMANDS: and the next heading.
		_, list, ok := strings.Cut(r.stdout, "COMMANDS:\n")
		list, _, _ = strings.Cut(list, "\n\n")
		if !ok || list == "" {
			t.Fatalf("%s --help lists no commands:\n%s", bin, r.stdout)
		}
		lines := strings.Split(list, "\n")
		slices.Sort(lines)
		return lines
	}
	lean, full := commands(minirun), commands(docker)
	if !slices.Equal(lean, full) {
		t.Errorf("minirun and minirun-docker list different commands:\nminirun:\n%s\nminirun-docker:\n%s",
			strings.Join(lean, "\n"), strings.Join(full, "\n"))
	}
}
