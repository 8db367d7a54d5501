package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// What minirun prints where runc's clients parse runc's output: the exit
// statuses. runc v1.1.5's own integration suite checks them in many
// files; these are the project's own checks of the same, since CI can't
// fetch runc.

// The exit statuses minirun fails with, by the contract the command line
// is in (docs/cli.md, cmd/minirun/exitstatus.go): runc's commands as
// runc v1.1.5 exits, the Docker-style ones and minirun's own as Docker.
const (
	exitRunc     = 1   // a runc command failed
	exitRuncExec = 255 // runc's exec could not run the process
	exitDocker   = 125 // a Docker-style command failed before the command ran
)

// Each command fails with its form's status and a one-line error.
func TestRuncOutputExitStatuses(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store holds "alpine"
	bundle := writeBundle(t, defaultSpec(t, "echo", "ran"))
	missing := writeBundle(t, defaultSpec(t, "no-such-command"))
	id := containerID(t)
	t.Cleanup(func() { cleanUp(t, id) })
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "100")), id)

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		// runc's commands.
		{[]string{"state", "nosuch"}, exitRunc, "container nosuch: container does not exist"},
		{[]string{"start", "nosuch"}, exitRunc, "does not exist"},
		{[]string{"kill", "nosuch", "KILL"}, exitRunc, "does not exist"},
		{[]string{"kill", id, "SIGBOGUS"}, exitRunc, `unknown signal "SIGBOGUS"`},
		{[]string{"delete", "nosuch"}, exitRunc, "does not exist"},
		{[]string{"delete", id}, exitRunc, "running"},
		{[]string{"pause", "nosuch"}, exitRunc, "does not exist"},
		{[]string{"resume", "nosuch"}, exitRunc, "does not exist"},
		{[]string{"ps", "nosuch"}, exitRunc, "does not exist"},
		{[]string{"events", "nosuch"}, exitRunc, "does not exist"},
		{[]string{"update", "--memory", "lots", id}, exitRunc, `"lots" is not a size`},
		{[]string{"list", "--format", "yaml"}, exitRunc, `unknown format "yaml"`},
		{[]string{"checkpoint", id}, exitRunc, "no CRIU support"},
		{[]string{"restore", id}, exitRunc, "no CRIU support"},
		{[]string{"spec", "-b", bundle}, exitRunc, "already exists"}, // handed on to minirun-docker
		{[]string{"create", "-b", "/nonexistent", "x"}, exitRunc, "load config"},
		{[]string{"run", "-b", "/nonexistent", "x"}, exitRunc, "load config"},
		{[]string{"run", "-b", bundle, id}, exitRunc, "already exists"},
		{[]string{"run", "-b", missing, "x"}, exitRunc, `exec: "no-such-command": executable file not found`},
		{[]string{"create", "-b", missing, "x"}, exitRunc, `exec: "no-such-command": executable file not found`},
		{[]string{"run", "--bogus", "-b", bundle, "x"}, exitRunc, "flag provided but not defined: -bogus"},
		{[]string{"delete", "--bogus", "x"}, exitRunc, "flag provided but not defined: -bogus"},
		{[]string{"--log-format", "xml", "state", id}, exitRunc, `unknown format "xml"`},
		{[]string{"--frob", "list"}, exitRunc, "flag provided but not defined: -frob"},
		// runc's exec: 255 when it can't run the process, else the
		// process's own status.
		{[]string{"exec", "nosuch", "true"}, exitRuncExec, "does not exist"},
		{[]string{"exec", id, "no-such-command"}, exitRuncExec, `exec: "no-such-command": executable file not found`},
		{[]string{"exec", id, "/etc/passwd"}, exitRuncExec, `exec: "/etc/passwd": permission denied`},
		{[]string{"exec", id, "sh", "-c", "exit 7"}, 7, ""},
		// Docker's and minirun's own.
		{[]string{"--store", storeDir, "run", "--rm", "no-such-image", "true"}, exitDocker, "no-such-image"},
		{[]string{"--store", storeDir, "run", "--bogus", "alpine", "true"}, exitDocker, "flag provided but not defined: -bogus"},
		{[]string{"--store", storeDir, "run", "--rm", "alpine", "no-such-command"}, 127, `exec: "no-such-command": executable file not found`},
		{[]string{"--store", storeDir, "run", "--rm", "alpine", "/etc/passwd"}, 126, `exec: "/etc/passwd": permission denied`},
		{[]string{"--store", storeDir, "run", "--rm", "alpine", "sh", "-c", "exit 7"}, 7, ""},
		{[]string{"--store", storeDir, "rm", "nosuch"}, exitDocker, "nosuch"},
		{[]string{"--store", storeDir, "rmi", "nosuch"}, exitDocker, "nosuch"},
		{[]string{"--store", storeDir, "import", "x", "/nonexistent.tar"}, exitDocker, "/nonexistent.tar"},
		{[]string{"seccomp", "check", "/nonexistent.json", "mkdir"}, exitDocker, "/nonexistent.json"},
		{[]string{"frobnicate"}, exitDocker, "frobnicate"},
	} {
		r := runMinirun(t, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("minirun %q: exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
		if c.want != "" && strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("minirun %q: want one line of error, got %q", c.args, r.stderr)
		}
	}
}

// runc's run takes a lone argument as the id when config.json is in the
// current directory; its failure is runc's too.
func TestRuncOutputExitStatusRunInBundle(t *testing.T) {
	needRoot(t)
	dir := writeBundle(t, defaultSpec(t, "no-such-command"))
	cmd := exec.Command(minirun, "run", containerID(t))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != exitRunc || !strings.Contains(string(out), `"no-such-command"`) {
		t.Fatalf("run ID in the bundle: exit %d, %q; want %d naming the command", code, out, exitRunc)
	}
}
