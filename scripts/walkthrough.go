//go:build ignore

// walkthrough runs the commands of the seccomp walkthrough docs and writes
// their real output under them; with -check it only compares, and fails
// when a doc no longer shows what its commands print.
//
//	go run scripts/walkthrough.go -bin bin/minirun [-check] docs/seccomp-walkthrough*.md
//
// Every ```console block of a doc is run, top to bottom, all docs in one
// work directory: each line starting with "$ " is a command for bash (with
// `minirun` on PATH), and the lines after it, up to the next command, are
// its output, stdout and stderr together, then "(exit status N)" when N is
// not 0. The check ignores the numbers of pids (see pidRE) and nothing
// else. The work directory holds the busybox image imported as "alpine"
// and the article's deny.json; the docs are rewritten only from here.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

const denyJSON = `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": [
    "SCMP_ARCH_X86_64"
  ],
  "syscalls": []
}
`

func main() {
	bin := flag.String("bin", "bin/minirun", "the minirun binary")
	check := flag.Bool("check", false, "compare only; exit 1 when a doc differs")
	work := flag.String("work", "", "work directory (default: a new temporary one)")
	flag.Parse()
	if err := run(*bin, *work, *check, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough:", err)
		os.Exit(1)
	}
}

func run(bin, work string, check bool, docs []string) error {
	if len(docs) == 0 {
		return fmt.Errorf("no docs given")
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	here, err := os.Getwd()
	if err != nil {
		return err
	}
	if work == "" {
		if work, err = os.MkdirTemp("", "minirun-walkthrough-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	env, err := setup(bin, work, here)
	if err != nil {
		return err
	}
	stale := 0
	for _, doc := range docs {
		body, err := os.ReadFile(doc)
		if err != nil {
			return err
		}
		out, err := regenerate(string(body), work, env)
		if err != nil {
			return fmt.Errorf("%s: %w", doc, err)
		}
		if out == string(body) {
			continue
		}
		if check && normalize(out) == normalize(string(body)) {
			continue
		}
		if check {
			stale++
			fmt.Fprintf(os.Stderr, "%s: the output shown is not what the commands print now:\n%s", doc, firstDiff(normalize(string(body)), normalize(out)))
			continue
		}
		if err := os.WriteFile(doc, []byte(out), 0o644); err != nil {
			return err
		}
		fmt.Printf("rewrote %s\n", doc)
	}
	if stale > 0 {
		return fmt.Errorf("%d docs out of date: regenerate with `make walkthrough`", stale)
	}
	return nil
}

// setup makes the work directory: a store with the busybox rootfs as
// "alpine", the article's deny.json, and `minirun` on PATH.
func setup(bin, work, repo string) ([]string, error) {
	binDir := filepath.Join(work, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, err
	}
	link := filepath.Join(binDir, "minirun")
	os.Remove(link)
	if err := os.Symlink(bin, link); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PATH="+binDir+":/usr/sbin:/usr/bin:/sbin:/bin",
		"MINIRUN_STORE="+filepath.Join(work, "store"),
		"MINIRUN_ROOT="+filepath.Join(work, "state"),
		"MINIRUN_SECCOMP_CACHE="+filepath.Join(work, "cache"),
		"LC_ALL=C")
	rootfs := filepath.Join(work, "rootfs")
	if _, err := os.Stat(filepath.Join(work, "store")); err != nil {
		if out, err := exec.Command(filepath.Join(repo, "tests", "mkrootfs.sh"), rootfs).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("mkrootfs: %v\n%s", err, out)
		}
		cmd := exec.Command(bin, "import", "alpine", rootfs)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("import: %v\n%s", err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "deny.json"), []byte(denyJSON), 0o644); err != nil {
		return nil, err
	}
	return env, nil
}

// regenerate runs each console block's commands and puts their output
// under them.
func regenerate(doc, work string, env []string) (string, error) {
	lines := strings.SplitAfter(doc, "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		if strings.TrimRight(lines[i], "\n") != "```console" {
			continue
		}
		// The block: commands kept, outputs replaced.
		j := i + 1
		for ; j < len(lines) && strings.TrimRight(lines[j], "\n") != "```"; j++ {
			l := strings.TrimRight(lines[j], "\n")
			if !strings.HasPrefix(l, "$ ") {
				continue
			}
			out.WriteString(l + "\n")
			got, err := runCommand(strings.TrimPrefix(l, "$ "), work, env)
			if err != nil {
				return "", err
			}
			out.WriteString(got)
		}
		if j == len(lines) {
			return "", fmt.Errorf("a console block is not closed")
		}
		i = j - 1
	}
	return out.String(), nil
}

func runCommand(line, work string, env []string) (string, error) {
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir, cmd.Env = work, env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return "", fmt.Errorf("%s: %w", line, err)
	}
	s := buf.String()
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	if code != 0 {
		s += fmt.Sprintf("(exit status %d)\n", code)
	}
	return s, nil
}

// pidRE matches the pids the report shows. A container's pids after the
// first depend on how many threads the runtime's init had when it exec'd
// (they take pids in the container's namespace too), so the check ignores
// their numbers; everything else must match to the byte.
var pidRE = regexp.MustCompile(`\bpid [0-9]+\b`)

func normalize(s string) string { return pidRE.ReplaceAllString(s, "pid N") }

// firstDiff shows the first line that differs, with a little context.
func firstDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("  line %d\n  shown: %s\n  now:   %s\n", i+1, x, y)
		}
	}
	return ""
}
