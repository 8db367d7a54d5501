package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Root's exec into a container with a user namespace takes the path the
// rootless one needs (container/execpidns.go): the pre-main joins the user
// namespace, then the rest, and forks into the pid namespace. The exec'd
// process is in the init's namespaces and cgroup, its ids map as the
// init's do, and its status and signals are its own, not the first
// child's.
func TestExecIntoUserNamespace(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sleep", "100")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	st := wantStatus(t, id, specs.StateRunning)

	r := runMinirun(t, "", "exec", id, "sh", "-c", "cat /proc/1/comm; id -u; cat /proc/self/uid_map")
	if r.code != 0 || squeeze(r.stdout) != "sleep\n0\n0 100000 65536\n" {
		t.Fatalf("exec: %+v", r)
	}
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	mrDetached(t, "exec", "-d", "--user", "1000:1000", "--pid-file", pidFile, id, "sleep", "50")
	epid, _ := strconv.Atoi(waitFile(t, pidFile))
	if ids := statusIDs(t, epid, "Uid:"); ids != strings.Repeat("101000 ", 4) {
		t.Errorf("exec --user 1000: host uids %q, want 101000", ids)
	}
	if got, want := nsLinks(t, epid), nsLinks(t, st.Pid); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exec'd namespaces %v, the init's %v", got, want)
	}
	cg := func(pid int) string { b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid)); return string(b) }
	if cg(epid) != cg(st.Pid) {
		t.Errorf("exec'd cgroups\n%s\nthe init's\n%s", cg(epid), cg(st.Pid))
	}
	syscall.Kill(epid, syscall.SIGKILL)
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{{[]string{"sh", "-c", "exit 7"}, 7, ""}, {[]string{"sh", "-c", "kill -TERM $$"}, 143, ""}, {[]string{"nosuchcmd"}, exitRuncExec, `"nosuchcmd"`}} {
		if r := runMinirun(t, "", append([]string{"exec", id}, c.args...)...); r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("exec %v: %+v, want %d and %q", c.args, r, c.code, c.stderr)
		}
	}
}
