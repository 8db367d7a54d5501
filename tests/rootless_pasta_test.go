package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A rootless container's default network is pasta, as rootless podman's,
// with -p reaching it on the host's own loopback. It runs as a throwaway
// user, in a network namespace made for the test (an address and a
// default route on a veth, which pasta copies into the container), with
// a tun device the user may open bound over /dev/net/tun in a mount
// namespace of the test's own: this host's /dev/net/tun is root's alone
// (0600), and is left as it is.
func TestRootlessPasta(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"useradd", "userdel", "pasta", "setpriv", "busybox", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the rootless network needs %s (pasta: apt-get install passt): %v", tool, err)
		}
	}
	// A name removeStaleUsers knows, should this test be killed.
	name := fmt.Sprintf("mrrlps%d", os.Getpid())
	removeStaleUsers(t, name)
	share := rootlessShare(t)
	home, runtimeDir := filepath.Join(share, "home"), filepath.Join(share, "run")
	uid, gid := addTestUser(t, name, home, runtimeDir)
	bin := filepath.Join(share, "bin")
	os.Mkdir(bin, 0o755)
	for _, b := range []string{"minirun", "minirun-init", "minirun-init-nsenter", "minirun-docker"} {
		if p := filepath.Join(filepath.Dir(minirun), b); exists(p) {
			if out, err := exec.Command("cp", p, filepath.Join(bin, b)).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v: %s", err, out)
			}
		}
	}
	rfs := filepath.Join(share, "rootfs")
	if out, err := exec.Command("cp", "-a", rootfs, rfs).CombinedOutput(); err != nil {
		t.Fatalf("cp rootfs: %v: %s", err, out)
	}
	if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", uid, gid), rfs).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	// As root in the new namespaces: the host side of the test network
	// and the tun device; then the user's part, each step's exit status
	// and output on a line of its own.
	user := `set -u
m="` + filepath.Join(bin, "minirun") + ` --root ` + filepath.Join(home, "state") + ` --store ` + filepath.Join(home, "store") + `"
step() { n=$1; shift; out=$("$@" 2>&1); echo "STEP $n rc=$? $(echo "$out" | tr '\n' '|')"; }
$m import ` + rfs + ` alpine >/dev/null 2>&1
step run-d $m run -d --name web -p 18095:80 alpine sh -c '` + httpdCmd + `'
for i in $(seq 50); do r=$(printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc 127.0.0.1 18095 2>/dev/null | tail -1); [ -n "$r" ] && break; sleep 0.1; done
echo "STEP reply rc=0 $r"
step hostname $m exec web hostname
step port $m port web
step taken $m run --rm -p 18095:80 alpine true
step addr $m run --rm alpine ip -4 -o addr show eth0
step ip $m run --rm --network pasta --ip 10.123.0.9 alpine true
step rm $m rm -f web
# Reaped, not only stopped: a zombie counts (an orphan's PID 1 may reap late).
for i in $(seq 50); do n="$(pgrep -u ` + name + ` -c passt) $(pgrep -u ` + name + ` -c pasta)"; [ "$n" = "0 0" ] && break; sleep 0.02; done
echo "STEP left rc=0 $n"
step again $m run --rm -p 18095:80 alpine true
`
	root := `set -e
ip link set lo up
ip link add mrps0 type veth peer name mrps1
ip addr add 10.123.0.2/24 dev mrps0
ip link set mrps1 up; ip link set mrps0 up
ip route add default via 10.123.0.1
mount -t tmpfs tmpfs ` + share + `/dev
mknod ` + share + `/dev/tun c 10 200; chmod 666 ` + share + `/dev/tun
mount --bind ` + share + `/dev/tun /dev/net/tun
cd ` + home + `
exec setpriv --reuid ` + fmt.Sprint(uid) + ` --regid ` + fmt.Sprint(gid) + ` --clear-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=` + home + ` XDG_RUNTIME_DIR=` + runtimeDir + ` sh -c "$0"`
	os.Mkdir(filepath.Join(share, "dev"), 0o755)
	cmd := exec.Command("unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c", root, user)
	out, err := cmd.CombinedOutput()
	t.Logf("as %s (uid %d):\n%s", name, uid, out)
	if err != nil {
		t.Fatalf("rootless pasta script: %v", err)
	}
	steps := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.SplitN(l, " ", 3); len(f) >= 2 && f[0] == "STEP" {
			steps[f[1]] = strings.Join(f[2:], " ")
		}
	}
	want := func(step string, ok func(string) bool, what string) {
		t.Helper()
		if got, seen := steps[step]; !seen || !ok(got) {
			t.Errorf("%s: got %q, want %s", step, got, what)
		}
	}
	has := func(s ...string) func(string) bool {
		return func(got string) bool {
			for _, x := range s {
				if !strings.Contains(got, x) {
					return false
				}
			}
			return true
		}
	}
	want("run-d", has("rc=0"), "a detached run with -p")
	host := strings.TrimSuffix(strings.TrimPrefix(steps["hostname"], "rc=0 "), "|")
	want("reply", func(got string) bool { return host != "" && got == "rc=0 "+host }, "the container's hostname through 127.0.0.1:18095")
	want("port", has("rc=0", "80/tcp -> 0.0.0.0:18095"), "the mapping")
	want("taken", func(got string) bool {
		return strings.HasPrefix(got, "rc=125 ") && strings.Contains(got, "18095") && strings.Count(strings.TrimSuffix(got, "|"), "|") == 0
	}, "exit 125 and one line naming the port")
	want("addr", has("rc=0", "eth0", "10.123.0.2/24"), "eth0 with the host's address, as pasta gives it")
	want("ip", has("rc=125", "--ip"), "--ip refused with pasta")
	want("rm", has("rc=0"), "rm -f")
	want("left", has("rc=0 0 0"), "no pasta left once the container is gone, not even a zombie")
	want("again", has("rc=0"), "the port free again")
}
