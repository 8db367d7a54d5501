package network

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"unsafe"
)

// A network's firewall rules are the network's, not each container's,
// as Docker keeps them: NAT out of the subnet, and the forwarding a host
// whose FORWARD policy drops (Docker's own sets that) must let through.
// The bridge plugin's ipMasq and the firewall plugin do the same per
// container, at some twenty iptables processes a run; here they are made
// once per bridge and go at `network rm`. Each rule carries the network's
// name in a comment.
//
// The forwarding rules live in a chain of minirun's own, which FORWARD
// jumps to first and which starts by jumping to MINIRUN-ADMIN, an empty
// chain for the host's admin: a DROP put there is seen before minirun
// accepts anything, as the firewall plugin's CNI-ADMIN was.
//
// Traffic that portmap DNATs to a published port is let in by conntrack
// state DNAT, so -p works under a dropping policy too, which the
// firewall plugin's rules alone did not give.
//
// Whether the rules are in is read from the bridge itself: its alias is
// set once they are (one netlink dump a run, no iptables process). A
// bridge an older minirun made, without the rules, has no such alias,
// so its rules are made at the next run. The mark lives and dies with
// the bridge, in the bridge's network namespace; a firewall flushed by
// hand under a marked bridge is not noticed, as Docker Engine does not
// notice it either until it restarts.

// iptables is the command the rules go through; a variable for the tests.
var iptables = "iptables"

const (
	forwardChain = "MINIRUN-FORWARD"
	adminChain   = "MINIRUN-ADMIN"
	rulesMark    = "minirun: network rules in place"
)

type rule struct {
	table, chain string
	pos          string // where -I puts it ("1": the top); "" appends
	spec         []string
}

func (n *Network) rules() []rule {
	tag := []string{"-m", "comment", "--comment", "minirun network " + n.Name}
	if n.Internal {
		// No way out and no way in, as Docker's --internal: only traffic
		// between the network's own members is forwarded. Above every
		// other network's accepts (position 2, under the admin jump), the
		// drops first so that the accept ends up above them.
		return []rule{
			{"filter", forwardChain, "2", append([]string{"-i", n.Bridge, "-j", "DROP"}, tag...)},
			{"filter", forwardChain, "2", append([]string{"-o", n.Bridge, "-j", "DROP"}, tag...)},
			{"filter", forwardChain, "2", append([]string{"-i", n.Bridge, "-o", n.Bridge, "-j", "ACCEPT"}, tag...)},
		}
	}
	return []rule{
		{"filter", forwardChain, "", append([]string{"-i", n.Bridge, "-j", "ACCEPT"}, tag...)},
		{"filter", forwardChain, "", append([]string{"-o", n.Bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "ACCEPT"}, tag...)},
		{"nat", "POSTROUTING", "", append([]string{"-s", n.Subnet, "!", "-o", n.Bridge, "-j", "MASQUERADE"}, tag...)},
	}
}

// ensureRules puts minirun's chains and n's rules in place unless n's
// bridge says they are, and reports whether the bridge is still to be
// marked (markRules) once the bridge plugin has made it.
func (n *Network) ensureRules() (mark bool, err error) {
	if linkAlias(n.Bridge) == rulesMark {
		return false, nil
	}
	for _, c := range []string{adminChain, forwardChain} {
		_ = ipt("-t", "filter", "-N", c) // fails once it exists, as it should
	}
	all := append([]rule{
		{"filter", forwardChain, "1", []string{"-j", adminChain}},
		{"filter", "FORWARD", "1", []string{"-j", forwardChain}},
	}, n.rules()...)
	for _, r := range all {
		if ipt(append([]string{"-t", r.table, "-C", r.chain}, r.spec...)...) == nil {
			continue
		}
		op := []string{"-t", r.table, "-A", r.chain}
		if r.pos != "" {
			op = []string{"-t", r.table, "-I", r.chain, r.pos}
		}
		if err := ipt(append(op, r.spec...)...); err != nil {
			return false, fmt.Errorf("network %s: firewall rules: %w", n.Name, err)
		}
	}
	return true, nil
}

// markRules sets the alias that says n's rules are in on its bridge,
// best effort: without it the next run checks the rules again.
func (n *Network) markRules() {
	_ = exec.Command("ip", "link", "set", "dev", n.Bridge, "alias", rulesMark).Run()
}

// removeRules deletes n's rules, best effort: a rule someone removed by
// hand is already gone. minirun's chains stay, with the admin's rules.
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

// link is one interface of this network namespace, as netlink lists it.
type link struct {
	index, master int32 // master: the bridge it is a port of, or 0
	name, alias   string
}

// links lists this network namespace's interfaces, from one netlink dump
// (no process); nil if the dump fails.
func links() []link {
	tab, err := syscall.NetlinkRIB(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return nil
	}
	msgs, err := syscall.ParseNetlinkMessage(tab)
	if err != nil {
		return nil
	}
	var ls []link
	for i := range msgs {
		if msgs[i].Header.Type != syscall.RTM_NEWLINK || len(msgs[i].Data) < syscall.SizeofIfInfomsg {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&msgs[i])
		if err != nil {
			continue
		}
		info := (*syscall.IfInfomsg)(unsafe.Pointer(&msgs[i].Data[0]))
		l := link{index: info.Index}
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFLA_IFNAME:
				l.name = strings.TrimRight(string(a.Value), "\x00")
			case syscall.IFLA_IFALIAS:
				l.alias = strings.TrimRight(string(a.Value), "\x00")
			case syscall.IFLA_MASTER:
				if len(a.Value) >= 4 {
					l.master = *(*int32)(unsafe.Pointer(&a.Value[0]))
				}
			}
		}
		ls = append(ls, l)
	}
	return ls
}

// linkAlias is the alias of the interface name in this network
// namespace, "" when it has none or doesn't exist.
func linkAlias(name string) string {
	for _, l := range links() {
		if l.name == name {
			return l.alias
		}
	}
	return ""
}

// dropPortlessBridge removes bridge name if nothing is plugged into it:
// after a first ADD that failed in IPAM. The bridge plugin gives a
// bridge its own MAC only with its gateway address, after IPAM, and a
// port-less bridge without one reads as 00:00:00:00:00:00, which every
// later ADD then fails to set ("could not set bridge's mac: invalid
// argument"). The next ADD makes it anew.
func dropPortlessBridge(name string) {
	ls := links()
	var index int32
	for _, l := range ls {
		if l.name == name {
			index = l.index
		}
	}
	if index == 0 {
		return
	}
	for _, l := range ls {
		if l.master == index {
			return
		}
	}
	deleteLink(name)
}
