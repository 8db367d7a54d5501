package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Issue 22's listing and looking at containers: names and id prefixes in
// every command that names a container, ps -a, inspect, top, stats and
// port, in Docker's form, while runc's form stays runc's
// (runcoutput_test.go and the others pin it).

// dk runs a Docker-style command against dockerRun's store.
func dk(t *testing.T, args ...string) result {
	t.Helper()
	return runMinirun(t, "", append([]string{"--store", storeDir}, args...)...)
}

// dkOK is dk that fails the test unless the command succeeds.
func dkOK(t *testing.T, args ...string) string {
	t.Helper()
	r := dk(t, args...)
	if r.code != 0 {
		t.Fatalf("minirun %q: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r.stdout
}

// psNames counts the names uniqueName gave.
var psNames int

// uniqueName is a container name no other test or call uses.
func uniqueName(t *testing.T) string {
	psNames++
	return fmt.Sprintf("ps-%s-%d", strings.ToLower(containerID(t)), psNames)
}

// detachedNamed starts `sleep 100` detached under a name unique to the
// test and removes it when the test ends. It returns the name and id.
func detachedNamed(t *testing.T) (name, id string) {
	t.Helper()
	name = uniqueName(t)
	r := dockerRun(t, "", "-d", "--name", name, "alpine", "sleep", "100")
	if r.code != 0 {
		t.Fatalf("run -d: %+v", r)
	}
	id = strings.TrimSpace(r.stdout)
	t.Cleanup(func() { dk(t, "rm", "-f", id) })
	return name, id
}

// exitedNamed runs `sh -c 'exit 7'` in the foreground, without --rm, so
// its record stays and says how it ended.
func exitedNamed(t *testing.T) (name, id string) {
	t.Helper()
	name = uniqueName(t)
	if r := dockerRun(t, "", "--name", name, "alpine", "sh", "-c", "exit 7"); r.code != 7 {
		t.Fatalf("run: want exit 7, got %+v", r)
	}
	t.Cleanup(func() { dk(t, "rm", "-f", name) })
	id = strings.TrimSpace(dkOK(t, "inspect", "-f", "{{.Id}}", name))
	return name, id
}

// exec, pause, unpause, update, top, inspect, stats and port take a name
// and a short id prefix, as Docker's do.
func TestDockerPsNamesAndPrefixes(t *testing.T) {
	needRoot(t)
	name, id := detachedNamed(t)
	for _, ref := range []string{name, id[:7]} {
		if out := dkOK(t, "exec", ref, "echo", "hi"); out != "hi\n" {
			t.Errorf("exec %s: got %q", ref, out)
		}
		dkOK(t, "pause", ref)
		if st := dkOK(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", ref); st != "paused true\n" {
			t.Errorf("inspect %s after pause: %q", ref, st)
		}
		dkOK(t, "unpause", ref)
		if st := dkOK(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}}", ref); st != "running true\n" {
			t.Errorf("inspect %s after unpause: %q", ref, st)
		}
		dkOK(t, "update", "--pids-limit", "50", ref)
		mustContain(t, "top "+ref, dkOK(t, "top", ref), "sleep 100")
		stats := dkOK(t, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", ref)
		if stats != name+" 1\n" {
			t.Errorf("stats %s: %q, want %q", ref, stats, name+" 1\n")
		}
		if r := dk(t, "port", ref); r.code != 0 || r.stdout != "" {
			t.Errorf("port %s: %+v; want nothing published", ref, r)
		}
	}
	if got := dkOK(t, "inspect", "-f", "{{.Name}} {{.Id}}", name); got != "/"+name+" "+id+"\n" {
		t.Errorf("inspect -f: %q", got)
	}
}

// A prefix of two containers' ids is refused, naming both.
func TestDockerPsAmbiguousPrefix(t *testing.T) {
	needRoot(t)
	// Seventeen ids have two alike in their first hex digit; stop at
	// the first pair.
	seen := map[byte]string{}
	var prefix string
	var pair [2]string
	for i := 0; i < 17 && prefix == ""; i++ {
		_, id := exitedNamed(t)
		if other, ok := seen[id[0]]; ok {
			prefix, pair = id[:1], [2]string{other, id}
		}
		seen[id[0]] = id
	}
	for _, args := range [][]string{{"exec", prefix, "true"}, {"inspect", prefix}, {"pause", prefix}, {"top", prefix}} {
		r := dk(t, args...)
		checkFailure(t, r, exitDocker, "ambiguous", pair[0][:12], pair[1][:12])
	}
}

// ps lists running containers; ps -a the exited ones too, with their
// code; --filter, --format, -q and json.
func TestDockerPsAll(t *testing.T) {
	needRoot(t)
	run, runID := detachedNamed(t)
	ex, exID := exitedNamed(t)
	ps := dkOK(t, "ps")
	mustContain(t, "ps", ps, run)
	mustContain(t, "ps", ps, "CONTAINER ID")
	if strings.Contains(ps, ex) {
		t.Errorf("ps lists the exited %s:\n%s", ex, ps)
	}
	all := dkOK(t, "ps", "-a")
	for _, l := range strings.Split(all, "\n") {
		if strings.HasSuffix(l, " "+ex) {
			mustMatch(t, "ps -a", l, `^`+exID[:12]+` +alpine +"sh -c exit 7" +.* ago +Exited \(7\) .* ago +`+ex+`$`)
		}
		if strings.HasSuffix(l, " "+run) {
			mustMatch(t, "ps -a", l, `^`+runID[:12]+` +alpine +"sleep 100" +.* ago +Up .* +`+run+`$`)
		}
	}
	mustContain(t, "ps -a", all, ex)
	mustContain(t, "ps -aq", dkOK(t, "ps", "-aq"), exID[:12]+"\n")

	got := dkOK(t, "ps", "-a", "--filter", "status=exited", "--filter", "name=^"+ex+"$", "--format", "{{.Names}}|{{.Status}}|{{.State}}")
	mustMatch(t, "ps --filter --format", got, `^`+ex+`\|Exited \(7\) .* ago\|exited\n$`)
	// Same key: either; different keys: both.
	got = dkOK(t, "ps", "-a", "-f", "name=^"+ex+"$", "-f", "name=^"+run+"$", "--format", "{{.Names}}")
	if n := strings.Count(got, "\n"); n != 2 {
		t.Errorf("two name filters: %q, want both", got)
	}
	if got := dkOK(t, "ps", "-a", "-f", "name=^"+run+"$", "-f", "status=exited", "-q"); got != "" {
		t.Errorf("name and status filters: %q, want nothing", got)
	}
	if got := dkOK(t, "ps", "-q", "--filter", "id="+runID[:8]); got != runID[:12]+"\n" {
		t.Errorf("ps -q --filter id: %q", got)
	}
	got = dkOK(t, "ps", "-a", "--no-trunc", "-q", "--filter", "exited=7", "--filter", "name=^"+ex+"$")
	if got != exID+"\n" {
		t.Errorf("ps --no-trunc -q --filter exited=7: %q, want %s", got, exID)
	}
	var row map[string]string
	line := dkOK(t, "ps", "-a", "--format", "json", "--filter", "name=^"+ex+"$")
	if err := json.Unmarshal([]byte(line), &row); err != nil {
		t.Fatalf("ps --format json: %v: %q", err, line)
	}
	if row["ID"] != exID[:12] || row["State"] != "exited" || row["Names"] != ex || row["Command"] != `"sh -c exit 7"` {
		t.Errorf("ps --format json: %v", row)
	}
	table := dkOK(t, "ps", "-a", "--format", "table {{.ID}}\t{{.Names}}", "--filter", "name=^"+ex+"$")
	mustMatch(t, "ps --format table", table, `^CONTAINER ID +NAMES\n`+exID[:12]+` +`+ex+`\n$`)
	if got := dkOK(t, "ps", "-n", "1", "-q"); strings.Count(got, "\n") != 1 {
		t.Errorf("ps -n 1: %q", got)
	}
	r := dk(t, "ps", "--filter", "colour=blue")
	checkFailure(t, r, exitDocker, "colour")
}

// inspect prints Docker's JSON for a container; -f a template over it.
func TestDockerPsInspect(t *testing.T) {
	needRoot(t)
	name, id := exitedNamed(t)
	got := dkOK(t, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Name}} {{.Config.Image}} {{json .Args}}", name)
	if want := fmt.Sprintf("exited 7 /%s alpine [\"-c\",\"exit 7\"]\n", name); got != want {
		t.Errorf("inspect -f: %q, want %q", got, want)
	}
	var out []struct {
		ID    string `json:"Id"`
		Path  string
		Name  string
		Image string
		State struct {
			Status     string
			ExitCode   int
			StartedAt  string
			FinishedAt string
		}
		Config     struct{ Image string }
		HostConfig map[string]any
		Mounts     []any
	}
	data := dkOK(t, "inspect", name)
	if err := json.Unmarshal([]byte(data), &out); err != nil || len(out) != 1 {
		t.Fatalf("inspect: %v: %s", err, data)
	}
	c := out[0]
	if c.ID != id || c.Path != "sh" || c.Name != "/"+name || !strings.HasPrefix(c.Image, "sha256:") ||
		c.State.Status != "exited" || c.State.ExitCode != 7 || c.Config.Image != "alpine" || c.HostConfig == nil || c.Mounts == nil {
		t.Errorf("inspect: %+v", c)
	}
	r := dk(t, "inspect", "no-such-thing")
	checkFailure(t, r, exitDocker, "no-such-thing")
}

// inspect of an image: its id, tags, config and layers.
func TestDockerPsInspectImage(t *testing.T) {
	needRoot(t)
	dockerRun(t, "", "--rm", "alpine", "true") // the store holds "alpine"
	var out []struct {
		ID       string `json:"Id"`
		RepoTags []string
		Os       string
		RootFS   struct {
			Type   string
			Layers []string
		}
	}
	data := dkOK(t, "inspect", "alpine")
	if err := json.Unmarshal([]byte(data), &out); err != nil || len(out) != 1 {
		t.Fatalf("inspect alpine: %v: %s", err, data)
	}
	img := out[0]
	if !strings.HasPrefix(img.ID, "sha256:") || len(img.RepoTags) != 1 || !strings.Contains(img.RepoTags[0], "alpine") ||
		img.Os != "linux" || img.RootFS.Type != "layers" || len(img.RootFS.Layers) == 0 {
		t.Errorf("inspect alpine: %+v", img)
	}
	if got := dkOK(t, "inspect", "--type", "image", "-f", "{{.Id}}", "alpine"); got != img.ID+"\n" {
		t.Errorf("inspect --type image -f: %q", got)
	}
	r := dk(t, "inspect", "--type", "container", "alpine")
	checkFailure(t, r, exitDocker, "alpine")
}
