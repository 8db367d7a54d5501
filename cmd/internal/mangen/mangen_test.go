//go:build !urfave_cli_no_docs

package mangen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	app := &cli.App{
		Name:  "minirun",
		Usage: "a runtime",
		Flags: []cli.Flag{&cli.StringFlag{Name: "root", Usage: "state directory"}},
		Commands: []*cli.Command{
			{Name: "cp", Usage: "copy files", ArgsUsage: "SRC DEST", Flags: []cli.Flag{&cli.BoolFlag{Name: "archive", Aliases: []string{"a"}, Usage: "keep uid and gid"}}},
			{Name: "__complete", Hidden: true},
		},
	}
	if err := Write(dir, app); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "minirun-cp.1 minirun.1" {
		t.Fatalf("pages: %s", got)
	}
	cp, _ := os.ReadFile(filepath.Join(dir, "minirun-cp.1"))
	for _, want := range []string{".TH minirun-cp 1", ".SH OPTIONS", "archive", "minirun cp [OPTIONS] SRC DEST"} {
		if !strings.Contains(string(cp), want) {
			t.Errorf("minirun-cp.1 has no %q:\n%s", want, cp)
		}
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("no man(1) to render the pages with")
	}
	for _, n := range names {
		out, err := exec.Command("man", "-l", filepath.Join(dir, n)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "NAME") {
			t.Errorf("man -l %s: %v\n%s", n, err, out)
		}
	}
}
