package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// What minirun prints where runc's clients parse runc's output: the exit
// statuses, the --log and --debug lines, and the banners. runc v1.1.5's
// own integration suite checks each (debug.bats, version.bats, help.bats
// and the exit statuses of many files); these are the project's own
// checks of the same, since CI can't fetch runc.

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
		{[]string{"--store", storeDir, "run", "--bogus", "alpine", "true"}, exitDocker, "unknown flag: --bogus"},
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

// logrusText is one line of logrus's text format as runc writes it.
var logrusText = regexp.MustCompile(`^time="[^"]+" level=(debug|info|warning|error) msg=("(\\.|[^"\\])*"|[^ ]*)( [a-z_]+=("(\\.|[^"\\])*"|[^ ]*))*$`)

// The messages runc's debug.bats looks for, which minirun writes at the
// points where it does the same.
var runcDebugMessages = []string{"nsexec container setup", "child process in init()", "init: closing the pipe to signal completion"}

// checkTextLog checks that every line of log is in logrus's text form with
// a time runc's would have, and returns the lines at level.
func checkTextLog(t *testing.T, what, log, level string) []string {
	t.Helper()
	var at []string
	for _, l := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		if !logrusText.MatchString(l) {
			t.Errorf("%s: line %q is not in logrus's text form", what, l)
			continue
		}
		ts := l[len(`time="`):strings.Index(l, `" level=`)]
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("%s: time %q is not RFC 3339: %v", what, ts, err)
		}
		if strings.Contains(l, " level="+level+" ") {
			at = append(at, l)
		}
	}
	return at
}

func TestRuncOutputLogText(t *testing.T) {
	needRoot(t)
	log := filepath.Join(t.TempDir(), "log.out")
	r := runSpec(t, defaultSpec(t, "echo", "Hello World"), "", "--log", log, "--debug")
	if r.code != 0 || r.stdout != "Hello World\n" || r.stderr != "" {
		t.Fatalf("run with --log --debug: %+v; want the container's output only", r)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	debug := strings.Join(checkTextLog(t, "--log", string(data), "debug"), "\n")
	for _, m := range append(runcDebugMessages, `msg="init: pivot_root`, `msg="init: execve /bin/echo`) {
		mustContain(t, "debug lines in --log", debug, m)
	}

	// An error: to stderr in one line, and to the log at level error.
	r = runMinirun(t, "", "--log", log, "state", "nosuch")
	if r.code != exitRunc || r.stderr != "minirun: state: container nosuch: container does not exist\n" {
		t.Errorf("state of nothing with --log: %+v", r)
	}
	data, _ = os.ReadFile(log)
	errs := checkTextLog(t, "--log", string(data), "error")
	if len(errs) != 1 || !strings.HasSuffix(errs[0], ` level=error msg="state: container nosuch: container does not exist"`) {
		t.Errorf("error lines in the log: %q", errs)
	}
}

func TestRuncOutputLogJSON(t *testing.T) {
	needRoot(t)
	log := filepath.Join(t.TempDir(), "log.json")
	r := runSpec(t, defaultSpec(t, "echo", "Hello World"), "", "--log", log, "--log-format", "json", "--debug")
	if r.code != 0 || r.stdout != "Hello World\n" || r.stderr != "" {
		t.Fatalf("run with --log --log-format json --debug: %+v; want the container's output only", r)
	}
	runMinirun(t, "", "--log", log, "--log-format", "json", "state", "nosuch")
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var debug []string
	var last map[string]string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var e map[string]string
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q is not a JSON object of strings: %v", l, err)
		}
		if _, err := time.Parse(time.RFC3339, e["time"]); err != nil || e["msg"] == "" {
			t.Errorf("line %q: want logrus's time and msg", l)
		}
		// logrus writes the keys sorted, and its lower-case levels.
		if !strings.HasPrefix(l, `{"`) || !(strings.Contains(l, `"level":"debug","msg":`) || strings.Contains(l, `"level":"error","msg":`)) {
			t.Errorf("line %q: want logrus's key order and a lower-case level", l)
		}
		if e["level"] == "debug" {
			debug = append(debug, e["msg"])
		}
		last = e
	}
	for _, m := range runcDebugMessages {
		mustContain(t, "debug messages in the JSON log", strings.Join(debug, "\n"), m)
	}
	// containerd reads the last error line.
	if last["level"] != "error" || last["msg"] != "state: container nosuch: container does not exist" {
		t.Errorf("last line %v, want the error", last)
	}
}

// --debug without --log: the same lines on stderr, the container's output
// alone on stdout; an error is then one error line there.
func TestRuncOutputDebugToStderr(t *testing.T) {
	needRoot(t)
	r := runSpec(t, defaultSpec(t, "echo", "Hello World"), "", "--debug")
	if r.code != 0 || r.stdout != "Hello World\n" {
		t.Fatalf("run --debug: %+v", r)
	}
	debug := checkTextLog(t, "stderr", r.stderr, "debug")
	if len(debug) != strings.Count(r.stderr, "\n") {
		t.Errorf("stderr holds more than debug lines: %q", r.stderr)
	}
	for _, m := range runcDebugMessages {
		mustContain(t, "stderr of --debug", r.stderr, m)
	}
	r = runMinirun(t, "", "--debug", "state", "nosuch")
	errs := checkTextLog(t, "stderr", r.stderr, "error")
	if r.code != exitRunc || len(errs) != 1 || strings.Count(r.stderr, "\n") != 1 ||
		!strings.HasSuffix(errs[0], ` level=error msg="state: container nosuch: container does not exist"`) {
		t.Errorf("state of nothing with --debug: %+v", r)
	}
}

// Called through a symlink named runc, as engines and runc's suite install
// a drop-in, minirun's banners say runc; called as minirun, minirun.
func TestRuncOutputBanners(t *testing.T) {
	needMinirun(t)
	dir := t.TempDir()
	runc := filepath.Join(dir, "runc")
	self, err := filepath.Abs(minirun)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, runc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"runc", "minirun"} {
		bin := map[string]string{"runc": runc, "minirun": minirun}[name]
		for _, flag := range []string{"-v", "--version"} {
			r := runBinary(t, bin, "", flag)
			lines := strings.Split(r.stdout, "\n")
			if r.code != 0 || len(lines) != 6 || !regexp.MustCompile(`^`+name+` version [0-9]+\.[0-9]+\.[0-9]+`).MatchString(lines[0]) ||
				!strings.HasPrefix(lines[1], "commit: ") || !regexp.MustCompile(`^spec: [0-9]+\.[0-9]+\.[0-9]+$`).MatchString(lines[2]) ||
				!strings.HasPrefix(lines[3], "go: go") || !strings.HasPrefix(lines[4], "libseccomp: ") {
				t.Errorf("%s %s: %+v; want runc's five lines under the name %s", name, flag, r, name)
			}
		}
		for _, flag := range []string{"-h", "--help"} {
			r := runBinary(t, bin, "", flag)
			lines := strings.Split(r.stdout, "\n")
			if r.code != 0 || len(lines) < 2 || lines[0] != "NAME:" || !strings.HasPrefix(lines[1], "   "+name+" - Open Container Initiative runtime") {
				t.Errorf("%s %s: exit %d, %q; want NAME: and %q", name, flag, r.code, strings.Join(lines[:min(len(lines), 3)], "\n"), name+" - Open Container Initiative runtime")
			}
		}
		// A command's help names it after the program: spec is handed on
		// to minirun-docker, checkpoint parses no flags of its own.
		for _, cmd := range []string{"run", "exec", "checkpoint", "restore", "spec"} {
			r := runBinary(t, bin, "", cmd, "-h")
			lines := strings.Split(r.stdout, "\n")
			if r.code != 0 || len(lines) < 2 || !strings.HasPrefix(lines[1], "   "+name+" "+cmd+" - ") {
				t.Errorf("%s %s -h: exit %d, %q", name, cmd, r.code, r.stdout+r.stderr)
			}
		}
	}
}

// exec's debug lines, as runc's exec.bats reads them: on stderr with
// --debug, in the log with --log.
func TestRuncOutputDebugExec(t *testing.T) {
	needRoot(t)
	id := containerID(t)
	t.Cleanup(func() { cleanUp(t, id) })
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "100")), id)
	want := []string{"nsexec container setup", "child process in init()", "setns_init: about to exec"}

	r := runMinirun(t, "", "--debug", "exec", id, "true")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("--debug exec: %+v", r)
	}
	debug := checkTextLog(t, "stderr of --debug exec", r.stderr, "debug")
	if len(debug) != strings.Count(r.stderr, "\n") {
		t.Errorf("stderr holds more than debug lines: %q", r.stderr)
	}
	for _, m := range want {
		mustContain(t, "stderr of --debug exec", r.stderr, m)
	}

	log := filepath.Join(t.TempDir(), "log.out")
	r = runMinirun(t, "", "--debug", "--log", log, "exec", id, "true")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("--debug --log exec: %+v; want nothing on stdout and stderr", r)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	debug = checkTextLog(t, "--log of exec", string(data), "debug")
	for _, m := range want {
		mustContain(t, "--log of exec", strings.Join(debug, "\n"), m)
	}
}
