package tests

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Networks of the Docker-style front. The whole suite runs in a network
// namespace of its own (TestMain), so the bridges, veths and NAT rules
// these tests make live and die there, never on the host.

// netCmd runs a Docker-style command against the suite's store.
func netCmd(t *testing.T, args ...string) result {
	t.Helper()
	dockerRun(t, "", "--rm", "--network", "none", "alpine", "true") // the store exists
	return runMinirun(t, "", append([]string{"--store", storeDir}, args...)...)
}

// netMust is netCmd that fails the test unless the command succeeds.
func netMust(t *testing.T, args ...string) string {
	t.Helper()
	r := netCmd(t, args...)
	if r.code != 0 {
		t.Fatalf("minirun %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// netDetached starts a container with run -d and removes it when the
// test ends.
func netDetached(t *testing.T, name string, args ...string) {
	t.Helper()
	dockerRun(t, "", "--rm", "--network", "none", "alpine", "true")
	mrDetached(t, append([]string{"--store", storeDir, "run", "-d", "--name", name}, args...)...)
	t.Cleanup(func() { runMinirun(t, "", "--store", storeDir, "rm", "-f", name) })
}

// inSuiteNetns fails the test unless the suite has a network namespace
// of its own: these tests must never make a bridge on the host.
func inSuiteNetns(t *testing.T) {
	t.Helper()
	if os.Getenv(netnsEnv) == "" {
		t.Fatal("the suite is not in a network namespace of its own; refusing to touch the host's network")
	}
}

// networkLeft lists what a container's network could leave: veths,
// leases, NAT and filter rules naming id, member and state files, and
// namespaces. The bridges themselves stay, as docker0 does.
func networkLeft(t *testing.T, id string) []string {
	t.Helper()
	var left []string
	out, _ := exec.Command("ip", "-o", "link", "show", "type", "veth").Output()
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			left = append(left, "veth: "+l)
		}
	}
	nets := filepath.Join(storeDir, "networks")
	filepath.Walk(filepath.Join(nets, "ipam"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Name() != "lock" && !strings.HasPrefix(fi.Name(), "last_reserved_ip") {
			b, _ := os.ReadFile(p)
			if id == "" || strings.Contains(string(b), id) {
				left = append(left, "lease: "+p)
			}
		}
		return nil
	})
	for _, table := range []string{"nat", "filter"} {
		out, _ := exec.Command("iptables-save", "-t", table).Output()
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "-A") && (strings.Contains(l, "--to-destination") || (id != "" && strings.Contains(l, id))) {
				left = append(left, table+" rule: "+l)
			}
		}
	}
	for _, d := range []string{"containers", "members"} {
		filepath.Walk(filepath.Join(nets, d), func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && (id == "" || strings.Contains(p, id)) {
				left = append(left, d+": "+p)
			}
			return nil
		})
	}
	ents, _ := os.ReadDir("/run/minirun/netns")
	for _, e := range ents {
		left = append(left, "netns: "+e.Name())
	}
	return left
}

func checkNetworkGone(t *testing.T) {
	t.Helper()
	if left := networkLeft(t, ""); len(left) > 0 {
		t.Errorf("network set-up left behind:\n%s", strings.Join(left, "\n"))
	}
}

// httpGet fetches url, retrying while the server comes up.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	var last error
	for i := 0; i < 100; i++ {
		resp, err := c.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

const httpdCmd = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"

// A published port answers on the namespace's own loopback, which is what
// people type, and `port` lists it.
func TestNetworkPublishLoopback(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	netDetached(t, "web", "-p", "18080:80", "--hostname", "webhost", "alpine", "sh", "-c", httpdCmd)
	if got := httpGet(t, "http://127.0.0.1:18080/"); strings.TrimSpace(got) != "webhost" {
		t.Errorf("GET 127.0.0.1:18080: %q, want the container's hostname", got)
	}
	if out := netMust(t, "port", "web"); !strings.Contains(out, "80/tcp -> 0.0.0.0:18080") {
		t.Errorf("port web: %q", out)
	}
	if out := netMust(t, "inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}", "web"); !strings.HasPrefix(out, "10.87.") {
		t.Errorf("inspect's NetworkSettings of web: %q, want an address of the default bridge", out)
	}
	if out := netMust(t, "ps", "--filter", "name=web", "--format", "{{.Ports}}"); !strings.Contains(out, "0.0.0.0:18080->80/tcp") {
		t.Errorf("ps PORTS of web: %q", out)
	}
	netMust(t, "rm", "-f", "web")
	checkNetworkGone(t)
}

// A host port something holds is refused in one line naming it, and the
// refused container leaves nothing.
func TestNetworkTakenPort(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	l, err := net.Listen("tcp4", "0.0.0.0:18081")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := netCmd(t, "run", "--rm", "-p", "18081:80", "alpine", "true")
	if r.code != exitDocker || !strings.Contains(r.stderr, "18081") || !strings.Contains(r.stderr, "already allocated") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("taken host port: exit %d, stderr %q; want 125 and one line naming the port", r.code, r.stderr)
	}
	l.Close()
	netDetached(t, "holder", "-p", "18082:80", "alpine", "sleep", "1000")
	r = netCmd(t, "run", "--rm", "-p", "18082:80", "alpine", "true")
	if r.code != exitDocker || !strings.Contains(r.stderr, "18082") {
		t.Errorf("port another container publishes: exit %d, stderr %q", r.code, r.stderr)
	}
	netMust(t, "rm", "-f", "holder")
	checkNetworkGone(t)
	if ents, _ := os.ReadDir(filepath.Join(storeDir, "containers")); len(ents) != 0 {
		t.Errorf("containers left in the store: %d", len(ents))
	}
}

// Containers on one user network reach each other by name and alias, as
// they come and go; the default bridge gives no names.
func TestNetworkNames(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	netMust(t, "network", "create", "names-net")
	defer netCmd(t, "network", "rm", "names-net")
	netDetached(t, "svc-a", "--network", "names-net", "--network-alias", "db", "alpine", "sleep", "1000")
	for _, name := range []string{"svc-a", "db"} {
		r := netCmd(t, "run", "--rm", "--network", "names-net", "alpine", "ping", "-c", "1", "-W", "5", name)
		if r.code != 0 {
			t.Errorf("ping %s on names-net: exit %d: %s%s", name, r.code, r.stdout, r.stderr)
		}
	}
	netDetached(t, "svc-b", "--network", "names-net", "alpine", "sleep", "1000")
	if out := netMust(t, "exec", "svc-a", "cat", "/etc/hosts"); !strings.Contains(out, "svc-b") {
		t.Errorf("svc-a's hosts after svc-b joined:\n%s", out)
	}
	netMust(t, "rm", "-f", "svc-b")
	if out := netMust(t, "exec", "svc-a", "cat", "/etc/hosts"); strings.Contains(out, "svc-b") {
		t.Errorf("svc-a's hosts after svc-b left still names it:\n%s", out)
	}
	if r := netCmd(t, "network", "rm", "names-net"); r.code != exitDocker || !strings.Contains(r.stderr, "in use") {
		t.Errorf("network rm of a network in use: exit %d %q", r.code, r.stderr)
	}
	netDetached(t, "plain-a", "alpine", "sleep", "1000")
	if r := netCmd(t, "run", "--rm", "alpine", "ping", "-c", "1", "-W", "2", "plain-a"); r.code == 0 {
		t.Error("the default bridge resolved a container's name; Docker's gives none")
	}
	netMust(t, "rm", "-f", "svc-a", "plain-a")
	netMust(t, "network", "rm", "names-net")
	checkNetworkGone(t)
}

// --network container:X shares X's interfaces and files.
func TestNetworkContainerMode(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	netDetached(t, "base", "--hostname", "basehost", "alpine", "sleep", "1000")
	want := netMust(t, "exec", "base", "ip", "-4", "-o", "addr", "show", "eth0")
	got := netMust(t, "run", "--rm", "--network", "container:base", "alpine", "ip", "-4", "-o", "addr", "show", "eth0")
	if fields(want, 3) == "" || fields(want, 3) != fields(got, 3) {
		t.Errorf("container:base sees %q, base has %q", got, want)
	}
	netMust(t, "rm", "-f", "base")
	checkNetworkGone(t)
}

func fields(s string, i int) string {
	f := strings.Fields(s)
	if i < len(f) {
		return f[i]
	}
	return ""
}

// --dns, --dns-search, --dns-option and --add-host reach the files.
func TestNetworkDNSFlags(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	out := netMust(t, "run", "--rm", "--dns", "192.0.2.53", "--dns-search", "corp.test", "--dns-option", "ndots:2",
		"--add-host", "db.test:192.0.2.10", "alpine", "cat", "/etc/resolv.conf", "/etc/hosts")
	for _, want := range []string{"nameserver 192.0.2.53", "search corp.test", "options ndots:2", "192.0.2.10\tdb.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if r := netCmd(t, "run", "--rm", "--add-host", "nocolon", "alpine", "true"); r.code != exitDocker {
		t.Errorf("bad --add-host: exit %d", r.code)
	}
	checkNetworkGone(t)
}

// Fifty containers, ten at a time, on one network: fifty addresses, no
// two the same, and no lease left after.
func TestNetworkManyContainers(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	netMust(t, "network", "create", "many-net")
	defer netCmd(t, "network", "rm", "many-net")
	var mu sync.Mutex
	seen := map[string]int{}
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := runMinirun(t, "", "--store", storeDir, "run", "--rm", "--network", "many-net", "alpine", "ip", "-4", "-o", "addr", "show", "eth0")
			mu.Lock()
			defer mu.Unlock()
			if r.code != 0 {
				t.Errorf("run %d: exit %d: %s", i, r.code, r.stderr)
				return
			}
			seen[fields(r.stdout, 3)]++
		}(i)
	}
	wg.Wait()
	var dup []string
	for ip, n := range seen {
		if n > 1 {
			dup = append(dup, fmt.Sprintf("%s x%d", ip, n))
		}
	}
	sort.Strings(dup)
	if len(dup) > 0 {
		t.Errorf("addresses given twice at once: %v", dup)
	}
	netMust(t, "network", "rm", "many-net")
	checkNetworkGone(t)
}

// SIGKILL of a foreground minirun: its reaper undoes the network too.
func TestNetworkKilledRun(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	dockerRun(t, "", "--rm", "--network", "none", "alpine", "true")
	cmd := exec.Command(minirun, "--store", storeDir, "run", "--rm", "-p", "18084:80", "alpine", "sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	for i := 0; ; i++ {
		if ents, _ := os.ReadDir("/run/minirun/netns"); len(ents) > 0 && len(networkLeft(t, "")) > 1 {
			break
		}
		if i == 500 {
			cmd.Process.Kill()
			t.Fatal("the run never set its network up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // into the container's own start
	cmd.Process.Kill()
	var left []string
	for i := 0; i < 500; i++ {
		if left = networkLeft(t, ""); len(left) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("after SIGKILL of minirun, left behind:\n%s", strings.Join(left, "\n"))
	}
	// The port is free again.
	netMust(t, "run", "--rm", "-p", "18084:80", "alpine", "true")
	checkNetworkGone(t)
}

// --ip gives the container that address on a user network, from the
// container's first instruction on. An address outside the network is a
// one-line error that leaves nothing, and leaves a network whose first
// start it was still fit for the next (the bridge plugin once left such
// a bridge without a MAC). The default bridge takes none, as Docker's.
func TestNetworkStaticIP(t *testing.T) {
	needRoot(t)
	inSuiteNetns(t)
	netMust(t, "network", "create", "--subnet", "10.98.0.0/24", "ip-net")
	defer netCmd(t, "network", "rm", "ip-net")
	r := netCmd(t, "run", "--rm", "--network", "ip-net", "--ip", "10.97.0.5", "alpine", "true")
	if r.code != exitDocker || !strings.Contains(r.stderr, "10.97.0.5") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("--ip outside the network: exit %d, stderr %q; want 125 and one line naming the address", r.code, r.stderr)
	}
	checkNetworkGone(t)
	out := netMust(t, "run", "--rm", "--network", "ip-net", "--ip", "10.98.0.77", "alpine", "sh", "-c", "ip -4 -o addr show eth0; grep -c 10.98.0.77 /etc/hosts")
	if !strings.Contains(out, "inet 10.98.0.77/24") || !strings.HasSuffix(out, "\n1\n") {
		t.Errorf("--ip 10.98.0.77: the container saw %q, want that address on eth0 and in /etc/hosts", out)
	}
	for _, bad := range [][]string{{"--ip", "10.98.0.78"}, {"--network", "ip-net", "--ip", "bogus"}} {
		r := netCmd(t, append(append([]string{"run", "--rm"}, bad...), "alpine", "true")...)
		if r.code != exitDocker || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "--ip") {
			t.Errorf("run %v: exit %d, stderr %q; want 125 and one line about --ip", bad, r.code, r.stderr)
		}
	}
	netMust(t, "network", "rm", "ip-net")
	checkNetworkGone(t)
}
