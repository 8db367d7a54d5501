package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// outside is a network namespace standing for the world beyond the host:
// joined to the suite's namespace by a veth, 192.0.2.1 on the suite's
// side and 192.0.2.2 on its own, with no route back to any container
// subnet, so a reply reaches a container only if NAT rewrote its source.
// A busybox httpd listens there on 8081.
func outside(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := exec.Command("unshare", "--net", "--", "/bin/busybox", "httpd", "-f", "-p", "8081", "-h", dir)
	if err := srv.Start(); err != nil {
		t.Fatalf("outside: %v", err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait(); exec.Command("ip", "link", "del", "mr-out").Run() })
	pid := strconv.Itoa(srv.Process.Pid)
	for _, c := range [][]string{
		{"ip", "link", "add", "mr-out", "type", "veth", "peer", "name", "eth9", "netns", pid},
		{"ip", "addr", "add", "192.0.2.1/24", "dev", "mr-out"},
		{"ip", "link", "set", "mr-out", "up"},
		{"nsenter", "-t", pid, "-n", "ip", "addr", "add", "192.0.2.2/24", "dev", "eth9"},
		{"nsenter", "-t", pid, "-n", "ip", "link", "set", "eth9", "up"},
		{"nsenter", "-t", pid, "-n", "ip", "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("outside: %v: %v: %s", c, err, out)
		}
	}
}

// forwardDrop sets the suite namespace's FORWARD policy to DROP, as a
// host with Docker Engine has it, until the test ends.
func forwardDrop(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("iptables", "-P", "FORWARD", "DROP").CombinedOutput(); err != nil {
		t.Fatalf("iptables -P FORWARD DROP: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("iptables", "-P", "FORWARD", "ACCEPT").Run() })
}

// On the default bridge a container reaches a server beyond the host
// through NAT, and a client beyond the host reaches a published port,
// both through a FORWARD policy that drops: the network's own rules let
// its traffic through. When the container goes, no rule of its is left.
func TestNetworkNATOut(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	outside(t)
	forwardDrop(t)
	// busybox's nc, not its wget: Debian's static wget crashes.
	got := dockerRun(t, "", "--rm", "alpine", "sh", "-c", httpGetNC("192.0.2.2", "8081"))
	if got.code != 0 || strings.TrimSpace(lastLine(got.stdout)) != "outside" {
		t.Fatalf("wget of the outside server from a container: exit %d, %q, %s", got.code, got.stdout, got.stderr)
	}
	// A DROP the admin puts in MINIRUN-ADMIN is seen before minirun's
	// accepts.
	admin := []string{"MINIRUN-ADMIN", "-d", "192.0.2.2", "-j", "DROP"}
	if out, err := exec.Command("iptables", append([]string{"-A"}, admin...)...).CombinedOutput(); err != nil {
		t.Fatalf("iptables -A %v: %v: %s", admin, err, out)
	}
	dropped := dockerRun(t, "", "--rm", "alpine", "sh", "-c", httpGetNC("192.0.2.2", "8081"))
	exec.Command("iptables", append([]string{"-D"}, admin...)...).Run()
	if strings.Contains(dropped.stdout, "outside") {
		t.Errorf("the admin's DROP in MINIRUN-ADMIN was passed by: %q", dropped.stdout)
	}
	netDetached(t, "pub", "-p", "18090:80", "--hostname", "pubhost", "alpine", "sh", "-c", httpdCmd)
	pid := ""
	out, _ := exec.Command("pgrep", "-f", "busybox httpd -f -p 8081").Output()
	if f := strings.Fields(string(out)); len(f) > 0 {
		pid = f[0]
	}
	if pid == "" {
		t.Fatal("the outside server is gone")
	}
	var reply []byte
	var err error
	for i := 0; i < 20; i++ {
		reply, err = exec.Command("nsenter", "-t", pid, "-n", "/bin/sh", "-c", httpGetNC("192.0.2.1", "18090")).CombinedOutput()
		if err == nil && strings.TrimSpace(lastLine(string(reply))) == "pubhost" {
			break
		}
		exec.Command("sleep", "0.1").Run()
	}
	if err != nil || strings.TrimSpace(lastLine(string(reply))) != "pubhost" {
		t.Errorf("a client outside the host to a published port: %v, %q", err, reply)
	}
	netMust(t, "rm", "-f", "pub")
	for _, l := range networkLeft(t, "") {
		if !strings.Contains(l, "mr-out") { // outside's own veth
			t.Errorf("network set-up left behind: %s", l)
		}
	}
}

// httpGetNC is a shell line that GETs / from host:port with busybox nc.
func httpGetNC(host, port string) string {
	return `printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w 5 ` + host + " " + port
}

// A user network's rules are made with its bridge and go with it at
// `network rm`.
func TestNetworkRulesGoWithNetwork(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	runOnNewNetwork(t, "rulesnet")
	if n := rulesOf("rulesnet"); n != 3 {
		t.Errorf("rulesnet has %d rules while it exists, want 3 (NAT out, forward out, forward in)", n)
	}
	netMust(t, "network", "rm", "rulesnet")
	if n := rulesOf("rulesnet"); n != 0 {
		t.Errorf("%d rules of rulesnet left after network rm", n)
	}
}

// A bridge without the mark that says its rules are in (one an older
// minirun made, with NAT per container) gets them at the next run, and
// the mark with them.
func TestNetworkRulesOnAnOldBridge(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	runOnNewNetwork(t, "oldnet")
	br := strings.TrimSpace(netMust(t, "network", "inspect", "-f", `{{index .Options "com.docker.network.bridge.name"}}`, "oldnet"))
	if alias := linkAliasOf(t, br); alias == "" {
		t.Fatalf("bridge %s has no mark after a run", br)
	}
	// Back to what an older minirun left: the bridge, no rules, no mark.
	// iptables-save's lines are shell words, the comment quoted.
	for _, r := range ruleLines("oldnet") {
		del := "iptables -t " + r.table + " -D " + strings.TrimPrefix(r.line, "-A ")
		if out, err := exec.Command("sh", "-c", del).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", del, err, out)
		}
	}
	if out, err := exec.Command("ip", "link", "set", "dev", br, "alias", "").CombinedOutput(); err != nil {
		t.Fatalf("clear %s's alias: %v: %s", br, err, out)
	}
	if n := rulesOf("oldnet"); n != 0 {
		t.Fatalf("%d rules of oldnet left after deleting them", n)
	}
	if r := dockerRun(t, "", "--rm", "--network", "oldnet", "alpine", "true"); r.code != 0 {
		t.Fatalf("second run on oldnet: exit %d: %s", r.code, r.stderr)
	}
	if n := rulesOf("oldnet"); n != 3 {
		t.Errorf("oldnet has %d rules after a run on its unmarked bridge, want 3", n)
	}
	if alias := linkAliasOf(t, br); alias == "" {
		t.Errorf("bridge %s not marked again", br)
	}
}

func linkAliasOf(t *testing.T, dev string) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show", "dev", dev).CombinedOutput()
	if err != nil {
		t.Fatalf("ip link show %s: %v: %s", dev, err, out)
	}
	if _, alias, ok := strings.Cut(string(out), "alias "); ok {
		return strings.TrimSpace(alias)
	}
	return ""
}

// runOnNewNetwork creates the user network name, removed when the test
// ends, and runs one container on it, which makes its bridge and rules.
func runOnNewNetwork(t *testing.T, name string) {
	t.Helper()
	netMust(t, "network", "create", name)
	t.Cleanup(func() { netCmd(t, "network", "rm", name) })
	if r := dockerRun(t, "", "--rm", "--network", name, "alpine", "true"); r.code != 0 {
		t.Fatalf("run on %s: exit %d: %s", name, r.code, r.stderr)
	}
}

type ruleLine struct{ table, line string }

// ruleLines are the iptables-save lines ("-A CHAIN ...") of network's
// rules, in the nat and filter tables.
func ruleLines(network string) []ruleLine {
	var rs []ruleLine
	for _, table := range []string{"nat", "filter"} {
		out, _ := exec.Command("iptables-save", "-t", table).Output()
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "-A") && strings.Contains(l, `"minirun network `+network+`"`) {
				rs = append(rs, ruleLine{table, l})
			}
		}
	}
	return rs
}

func rulesOf(network string) int { return len(ruleLines(network)) }
