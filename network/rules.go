package network

import (
	"fmt"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"
)

// A network's firewall rules are the network's, not each container's,
// as Docker keeps them: NAT out of the subnet, and the forwarding a host
// whose FORWARD policy drops (Docker's own sets that) must let through.
// The bridge plugin's ipMasq and the firewall plugin do the same per
// container, at some twenty iptables processes a run; here they are made
// once, when the network's bridge is first made, and go with the bridge
// at `network rm`. Each rule carries the network's name in a comment.
//
// Traffic that portmap DNATs to a published port is let in by conntrack
// state DNAT, so -p works under a dropping policy too, which the
// firewall plugin's rules alone did not give.

// iptables is the command the rules go through; a variable for the tests.
var iptables = "iptables"

type rule struct {
	table, chain string
	insert       bool // at the top of the chain, ahead of a DROP someone else put there
	spec         []string
}

func (n *Network) rules() []rule {
	tag := []string{"-m", "comment", "--comment", "minirun network " + n.Name}
	r := []rule{
		{"filter", "FORWARD", true, append([]string{"-i", n.Bridge, "-j", "ACCEPT"}, tag...)},
		{"filter", "FORWARD", true, append([]string{"-o", n.Bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "ACCEPT"}, tag...)},
	}
	if !n.Internal {
		r = append(r, rule{"nat", "POSTROUTING", false, append([]string{"-s", n.Subnet, "!", "-o", n.Bridge, "-j", "MASQUERADE"}, tag...)})
	}
	return r
}

// ensureRules puts n's rules in place unless its bridge exists: they
// are made with the bridge and removed with it, so its presence, read
// with one ioctl, saves the checks' processes on every later run.
func (n *Network) ensureRules() error {
	if linkExists(n.Bridge) {
		return nil
	}
	for _, r := range n.rules() {
		if ipt(append([]string{"-t", r.table, "-C", r.chain}, r.spec...)...) == nil {
			continue
		}
		op := []string{"-t", r.table, "-A", r.chain}
		if r.insert {
			op = []string{"-t", r.table, "-I", r.chain, "1"}
		}
		if err := ipt(append(op, r.spec...)...); err != nil {
			return fmt.Errorf("network %s: firewall rules: %w", n.Name, err)
		}
	}
	return nil
}

// removeRules deletes n's rules, best effort: a rule someone removed by
// hand is already gone.
func (n *Network) removeRules() {
	for _, r := range n.rules() {
		// A rule put in twice by hand goes too, within reason.
		for i := 0; i < 4 && ipt(append([]string{"-t", r.table, "-D", r.chain}, r.spec...)...) == nil; i++ {
		}
	}
}

func ipt(args ...string) error {
	out, err := exec.Command(iptables, append(args, "--wait")...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", iptables, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func linkExists(name string) bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return false
	}
	return unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr) == nil
}
