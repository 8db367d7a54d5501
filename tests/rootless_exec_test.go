package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// rootlessExec is `minirun exec` into a running rootless container, by
// the unprivileged caller: with the caller's own ids, and with subordinate
// ranges. The exec'd process is in every namespace of the container's init
// (its pid namespace too: it sees the init as pid 1), its root is the
// caller outside, a subordinate uid inside is that subordinate id outside,
// exit codes come back as the shell's, and nothing is left once it ends.
func rootlessExec(t *testing.T, uid, sub int, multi func(*specs.Spec)) {
	for _, ranges := range []bool{false, true} {
		name := "own ids"
		if ranges {
			name = "ranges"
		}
		t.Run(name, func(t *testing.T) {
			s := rootlessSpec(t, "sleep", "60")
			if ranges {
				multi(s)
			}
			id := containerID(t)
			bundle := writeBundle(t, s)
			for _, step := range [][]string{{"create", "-b", bundle, id}, {"start", id}} {
				if r := runMinirunDetached(t, step...); r != nil {
					t.Fatalf("%v: %v", step, r)
				}
			}
			defer runMinirun(t, "", "delete", "-f", id)
			initPid := statePid(t, id)
			initNS := nsLinks(t, initPid)

			r := runMinirun(t, "", "exec", id, "sh", "-c", `echo $$; tr '\0' ' ' < /proc/1/cmdline; echo; id -u; cat /proc/self/uid_map`)
			t.Logf("exec: exit %d, %q %q", r.code, r.stdout, r.stderr)
			lines := strings.Split(squeeze(r.stdout), "\n")
			if r.code != 0 || len(lines) < 4 || lines[0] == "1" || lines[1] != "sleep 60" || lines[2] != "0" || lines[3] != fmt.Sprintf("0 %d 1", uid) {
				t.Fatalf("exec: %+v, want its own pid, pid 1 \"sleep 60\", uid 0 and 0 %d 1 first in uid_map", r, uid)
			}

			// Outside, the exec'd process is the caller, or the
			// subordinate id its uid maps to, in the init's namespaces.
			users := []struct {
				user string
				host int
			}{{"", uid}}
			if ranges {
				users = append(users, struct {
					user string
					host int
				}{"1000:1000", sub + 999})
			}
			for _, u := range users {
				pidFile := filepath.Join(t.TempDir(), "pid")
				args := []string{"exec", "-d", "--pid-file", pidFile}
				if u.user != "" {
					args = append(args, "--user", u.user)
				}
				if r := runMinirunDetached(t, append(args, id, "sleep", "30")...); r != nil {
					t.Fatalf("exec -d: %v", r)
				}
				data, _ := os.ReadFile(pidFile)
				pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
				if err != nil {
					t.Fatalf("pid file: %q", data)
				}
				if ids := statusIDs(t, pid, "Uid:"); ids != strings.Repeat(strconv.Itoa(u.host)+" ", 4) {
					t.Errorf("exec --user %q: host uids %q, want %d", u.user, ids, u.host)
				}
				if u.user == "" {
					if got := nsLinks(t, pid); fmt.Sprint(got) != fmt.Sprint(initNS) {
						t.Errorf("exec'd process's namespaces %v, the init's %v", got, initNS)
					}
				}
				syscall.Kill(pid, syscall.SIGKILL)
			}

			for _, c := range []struct {
				args []string
				code int
				err  string
			}{
				{[]string{"sh", "-c", "exit 7"}, 7, ""},
				{[]string{"sh", "-c", "kill -TERM $$"}, 128 + 15, ""},
				{[]string{"/nonexistent"}, exitRuncExec, "no such file"},
				{[]string{"true"}, 0, ""},
			} {
				r := runMinirun(t, "", append([]string{"exec", id}, c.args...)...)
				if r.code != c.code || !strings.Contains(r.stderr, c.err) {
					t.Errorf("exec %v: %+v, want exit %d", c.args, r, c.code)
				}
			}

			// Nothing left: no child of this test, and in the container's
			// pid namespace only its init (the killed sleeps may take a
			// moment to be reaped).
			var left []int
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				left = pidsInNS(initNS["pid"])
				if len(left) == 1 && len(childrenOf(os.Getpid())) == 0 {
					break
				}
			}
			if len(left) != 1 || left[0] != initPid || len(childrenOf(os.Getpid())) != 0 {
				t.Fatalf("left after the execs: %v in the container's pid namespace (init %d), children %v", left, initPid, childrenOf(os.Getpid()))
			}
			if r := runMinirun(t, "", "delete", "-f", id); r.code != 0 {
				t.Fatalf("delete: %+v", r)
			}
			for deadline := time.Now().Add(5 * time.Second); len(pidsInNS(initNS["pid"])) > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			}
			if left := pidsInNS(initNS["pid"]); len(left) > 0 {
				t.Fatalf("processes left in the pid namespace after delete: %v", left)
			}
		})
	}
}

// pidsInNS lists the live processes whose pid namespace is link.
func pidsInNS(link string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p)); err == nil && l == link {
			out = append(out, p)
		}
	}
	return out
}
