package container

import (
	"encoding/binary"
	"fmt"
	"net"
	"sort"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// linux.netDevices moves host interfaces into the container's new network
// namespace, renamed if asked. The parent does it, from the host, once the
// child exists and before the init runs: one RTM_NEWLINK per device that
// names the target namespace by the child's pid and, in the same message,
// the new name, so the device never shows up in the container under its
// host name. When the namespace goes away with the container, the kernel
// hands physical devices back to the host and destroys virtual ones.

// moveNetDevices moves every device of devs into the network namespace of
// pid, in a stable order so errors are reproducible.
func moveNetDevices(devs map[string]specs.LinuxNetDevice, pid int) error {
	hosts := make([]string, 0, len(devs))
	for h := range devs {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		name := devs[h].Name
		if name == "" {
			name = h
		}
		ifc, err := net.InterfaceByName(h)
		if err != nil {
			return fmt.Errorf("move %s: %w", h, err)
		}
		if err := rtnlMoveLink(ifc.Index, pid, name); err != nil {
			return fmt.Errorf("move %s into the container as %s: %w", h, name, err)
		}
	}
	return nil
}

// rtnlMoveLink sends RTM_NEWLINK{index, IFLA_NET_NS_PID, IFLA_IFNAME} and
// waits for the kernel's answer.
func rtnlMoveLink(index, pid int, name string) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink bind: %w", err)
	}
	var body []byte
	info := make([]byte, unix.SizeofIfInfomsg)
	info[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(info[4:], uint32(index))
	body = append(body, info...)
	pidAttr := make([]byte, 4)
	binary.NativeEndian.PutUint32(pidAttr, uint32(pid))
	body = appendAttr(body, unix.IFLA_NET_NS_PID, pidAttr)
	body = appendAttr(body, unix.IFLA_IFNAME, append([]byte(name), 0))
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], unix.RTM_NEWLINK)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:], 1)
	msg = append(msg, body...)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("netlink receive: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return fmt.Errorf("netlink answer: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type == syscall.NLMSG_ERROR && len(m.Data) >= 4 {
			if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
				return unix.Errno(-e)
			}
			return nil
		}
	}
	return fmt.Errorf("netlink: no answer to RTM_NEWLINK")
}

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	hdr := make([]byte, unix.SizeofRtAttr)
	binary.NativeEndian.PutUint16(hdr[0:], uint16(l))
	binary.NativeEndian.PutUint16(hdr[2:], typ)
	b = append(b, hdr...)
	b = append(b, data...)
	for len(b)%4 != 0 { // attributes are 4-byte aligned
		b = append(b, 0)
	}
	return b
}
