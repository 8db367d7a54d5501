package tests

// Help for people: Docker's words and the nearest name for a mistyped
// command or flag, run --help with Docker's flags only, and shell
// completion. runc's form keeps runc's words.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDockerHelpUnknownCommand(t *testing.T) {
	needMinirun(t)
	for _, c := range []struct{ typed, want string }{
		{"rnu", "minirun: 'rnu' is not a minirun command. Did you mean 'run'? See 'minirun --help'\n"},
		{"exprot", "minirun: 'exprot' is not a minirun command. Did you mean 'export'? See 'minirun --help'\n"},
		{"frobnicate", "minirun: 'frobnicate' is not a minirun command. See 'minirun --help'\n"},
	} {
		r := runMinirun(t, "", c.typed)
		if r.code != exitDocker || r.stderr != c.want || r.stdout != "" {
			t.Errorf("minirun %s: exit %d, stderr %q; want %d and %q", c.typed, r.code, r.stderr, exitDocker, c.want)
		}
	}
	// After global flags too; an unknown global flag is the flag's error.
	r := runMinirun(t, "", "--root", t.TempDir(), "rnu")
	checkFailure(t, r, exitDocker, "'rnu' is not a minirun command", "Did you mean 'run'?")
	r = runMinirun(t, "", "--stroe", "x", "images")
	checkFailure(t, r, exitDocker, "unknown flag: --stroe", "Did you mean --store?")

	// Installed as runc, runc's words stay (its help.bats reads them).
	dir := t.TempDir()
	if err := os.Symlink(minirun, filepath.Join(dir, "runc")); err != nil {
		t.Fatal(err)
	}
	r = runBinary(t, filepath.Join(dir, "runc"), "", "frobnicate")
	mustContain(t, "runc frobnicate", r.stderr, "No help topic for 'frobnicate'")
}

func TestDockerHelpUnknownFlag(t *testing.T) {
	needMinirun(t)
	r := runMinirun(t, "", "run", "--nme", "web", "alpine", "true")
	checkFailure(t, r, exitDocker, "unknown flag: --nme", "Did you mean --name?")
	r = runMinirun(t, "", "cp", "--achive", "a:/x", "/tmp/y")
	checkFailure(t, r, exitDocker, "unknown flag: --achive", "Did you mean --archive?")
	r = runMinirun(t, "", "run", "-Z", "alpine", "true")
	checkFailure(t, r, exitDocker, "unknown shorthand flag: 'Z' in -Z")
	// runc's form: runc's words and status.
	r = runMinirun(t, "", "delete", "--bogus", "x")
	checkFailure(t, r, exitRunc, "flag provided but not defined: -bogus")
	r = runMinirun(t, "", "run", "--bogus", "-b", t.TempDir(), "x")
	checkFailure(t, r, exitRunc, "flag provided but not defined: -bogus")
}

// run --help is a Docker user's: the runc-only flags are left out of its
// options and described apart.
func TestDockerHelpRunFlags(t *testing.T) {
	needMinirun(t)
	for _, args := range [][]string{{"run", "--help"}, {"help", "run"}} {
		r := runMinirun(t, "", args...)
		if r.code != 0 {
			t.Fatalf("minirun %v: %+v", args, r)
		}
		desc, opts, ok := strings.Cut(r.stdout, "OPTIONS:")
		if !ok {
			t.Fatalf("minirun %v: no OPTIONS:\n%s", args, r.stdout)
		}
		for _, want := range []string{"--name", "--rm", "--detach, -d", "--volume", "--security-opt"} {
			mustContain(t, "run's options", opts, want)
		}
		for _, runcOnly := range []string{"--bundle", "--pid-file", "--console-socket", "--no-new-keyring", "--preserve-fds", "--keep", "--no-pivot"} {
			if strings.Contains(opts, runcOnly) {
				t.Errorf("minirun %v lists the runc-only %s among Docker's options", args, runcOnly)
			}
			mustContain(t, "run's description of runc's form", desc, runcOnly)
		}
		mustContain(t, "run's description", desc, "runc's form")
	}
}

func TestDockerHelpCompletion(t *testing.T) {
	needMinirun(t)
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := runMinirun(t, "", "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "__complete") {
			t.Fatalf("completion %s: %+v", sh, r)
		}
		path := filepath.Join(t.TempDir(), "c."+sh)
		os.WriteFile(path, []byte(r.stdout), 0o644)
		if _, err := exec.LookPath(sh); err != nil {
			continue
		}
		if out, err := exec.Command(sh, "-n", path).CombinedOutput(); err != nil {
			t.Errorf("completion %s does not parse: %v %s", sh, err, out)
		}
	}
	checkFailure(t, runMinirun(t, "", "completion", "ksh"), exitDocker, "bash, zsh or fish")
	// The hidden command the scripts call.
	words := strings.Fields(runMinirun(t, "", "__complete", "").stdout)
	for _, want := range []string{"run", "cp", "export", "completion", "exec", "delete"} {
		if !contains(words, want) {
			t.Errorf("__complete \"\": no %s in %v", want, words)
		}
	}
	if contains(words, "__complete") {
		t.Error("__complete offers itself")
	}
	if got := runMinirun(t, "", "__complete", "run", "--na").stdout; got != "--name\n" {
		t.Errorf("__complete run --na: %q", got)
	}
	if help := runMinirun(t, "", "--help").stdout; strings.Contains(help, "__complete") {
		t.Error("help lists the hidden __complete")
	}
}

// bash completes a container's name from the store, through the script.
func TestDockerHelpCompletionNames(t *testing.T) {
	needRoot(t)
	cpStopped(t, "complete-me", "true")
	script := filepath.Join(t.TempDir(), "c.bash")
	os.WriteFile(script, []byte(runMinirun(t, "", "completion", "bash").stdout), 0o644)
	for _, c := range []struct{ line, want string }{
		{"minirun rm complete-", "complete-me"},
		{"minirun export compl", "complete-me"},
		{"minirun run alp", "alpine"},
		{"minirun exp", "export"},
	} {
		cmd := exec.Command("bash", "-c", `source "$1"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _minirun; printf '%s\n' "${COMPREPLY[@]}"`, "bash", script, c.line)
		cmd.Env = append(os.Environ(), "MINIRUN_STORE="+storeDir, "PATH="+filepath.Dir(minirun)+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.want) {
			t.Errorf("completing %q: %v %q, want %s", c.line, err, out, c.want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
