package docker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/network"
)

// A rootless container can't have a bridge: making one, a veth and NAT
// rules on the host takes root. Rootless podman's answer, which this is,
// is pasta (Debian's passt package): a process of the user's that joins
// the container's user and network namespaces, gives the namespace a tap
// device with the host's addresses and routes, and carries the
// container's traffic through ordinary sockets of the user's on the
// host. -p is pasta's own forwarding: it listens on the host port and
// splices each connection into the namespace, so `curl 127.0.0.1:8080`
// works as with the bridge. pasta leaves nothing on the host but itself,
// and minirun stops it when the container's run ends (stopPasta).

// pastaMode is --network pasta.
const pastaMode = "pasta"

// pastaPidFile, in the container's directory, holds the pid of the pasta
// serving its current run; its presence tells stopNetwork that the
// record's network settings are pasta's, to clear.
const pastaPidFile = "pasta.pid"

// pastaUsable says why pasta can't serve this user, or nil: it needs the
// program, /dev/net/tun opened for reading and writing (a host whose
// device is root's alone, mode 0600, leaves rootless containers without
// a network), and a default route, whose interface it copies into the
// container (a host, or a test's namespace, with none has nowhere to
// send the container's traffic, and pasta refuses to start). Asked once
// a process: netMode and the flag checks ask it several times a run.
var pastaUsable = sync.OnceValue(checkPasta)

func checkPasta() error {
	if _, err := exec.LookPath("pasta"); err != nil {
		return fmt.Errorf("pasta not found (apt-get install passt): %w", err)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pasta needs /dev/net/tun: %w", err)
	}
	unix.Close(fd)
	if !hasDefaultRoute() {
		return errors.New("pasta needs a default route, and this network namespace has none")
	}
	return nil
}

// hasDefaultRoute tells whether this network namespace routes anywhere:
// an IPv4 or IPv6 default route, from /proc/net (no netlink dump).
func hasDefaultRoute() bool {
	if data, err := os.ReadFile("/proc/net/route"); err == nil {
		for _, l := range strings.Split(string(data), "\n")[1:] {
			// Iface Destination Gateway Flags ...: destination 0, up.
			if f := strings.Fields(l); len(f) > 3 && f[1] == "00000000" {
				if flags, err := strconv.ParseUint(f[3], 16, 32); err == nil && flags&unix.RTF_UP != 0 {
					return true
				}
			}
		}
	}
	if data, err := os.ReadFile("/proc/net/ipv6_route"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			// ::/0 through an interface other than lo.
			if f := strings.Fields(l); len(f) == 10 && f[0] == strings.Repeat("0", 32) && f[1] == "00" && f[9] != "lo" {
				return true
			}
		}
	}
	return false
}

// pastaArgs is pasta's command line for the init pid, forwarding ports.
// --config-net gives the namespace the host's addresses and routes. In
// the foreground, pasta stays this process's child, to be reaped here:
// forked to the background it would be an orphan, left to a PID 1 that
// reaps late, if at all (this VM's left them zombies for minutes). It
// writes its pid file once the namespace is set up.
func pastaArgs(pid int, ports []network.PortMapping, pidFile string) []string {
	// eth0 inside, as with the bridge, not the host's interface name.
	args := []string{"--foreground", "--config-net", "--quiet", "--ns-ifname", "eth0", "--pid", pidFile}
	for _, p := range ports {
		opt := "-t"
		if p.Protocol == "udp" {
			opt = "-u"
		}
		spec := fmt.Sprintf("%d:%d", p.HostPort, p.ContainerPort)
		if p.HostIP != "" {
			spec = p.HostIP + "/" + spec
		}
		args = append(args, opt, spec)
	}
	return append(args, strconv.Itoa(pid))
}

// startPasta is startNetwork for --network pasta: the host ports are
// checked (and picked, for -P) now, and pasta starts on the init's
// namespaces when the start calls the returned ready with its pid.
func startPasta(dir string, ports []network.PortMapping) (func(int) error, error) {
	if err := network.Reserve(ports); err != nil {
		return nil, errdefs.New(errdefs.ErrInvalid, "network setup: pasta: "+err.Error())
	}
	return func(pid int) error {
		if pid == 0 {
			return nil // the start failed first; nothing was started
		}
		pidFile := filepath.Join(dir, pastaPidFile)
		os.Remove(pidFile) // a killed run's
		// A file, not a pipe, for pasta's errors: pasta keeps running, and
		// would hold a pipe open.
		errf, err := os.CreateTemp(dir, ".pasta-err-")
		if err != nil {
			return fmt.Errorf("network setup: pasta: %w", err)
		}
		defer os.Remove(errf.Name())
		defer errf.Close()
		cmd := exec.Command("pasta", pastaArgs(pid, ports, pidFile)...)
		cmd.Stdout, cmd.Stderr = errf, errf
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("network setup: pasta: %w", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }() // reaps it whoever stops it
		if err := awaitPasta(pidFile, exited); err != nil {
			_ = cmd.Process.Kill()
			werr := <-exited
			msg, _ := os.ReadFile(errf.Name())
			os.Remove(pidFile)
			if err == errPastaExited {
				err = werr
			}
			return fmt.Errorf("network setup: pasta: %s", pastaError(msg, err))
		}
		started.Store(dir, exited)
		_, err = UpdateRecord(dir, func(r *Record) error {
			r.NetworkSettings = settingsOf(&network.State{Ports: ports}, nil)
			return nil
		})
		return err
	}, nil
}

// started holds, by container directory, the exit of each pasta this
// process started: stopPasta waits for it, so that it is reaped here.
var started sync.Map

var errPastaExited = errors.New("pasta exited")

// awaitPasta waits until pasta has written its pid file, which it does
// once the namespace is set up; errPastaExited if it exits first.
func awaitPasta(pidFile string, exited chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(pidFile); err == nil && fi.Size() > 0 {
			return nil
		}
		select {
		case err := <-exited:
			exited <- err // for the caller's wait
			return errPastaExited
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("not ready after 10s")
		}
	}
}

// pastaError is pasta's complaint as one line: its messages joined,
// without its notes that the system log is not there to take them.
func pastaError(msg []byte, err error) string {
	var lines []string
	for _, l := range strings.Split(string(msg), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasSuffix(l, "to syslog") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return err.Error()
	}
	return strings.Join(lines, "; ")
}

// stopPasta ends the pasta of the container in dir, once its run is over,
// and clears what startPasta noted. pasta started on a pid outlives the
// namespace it serves, holding the published ports, so it is stopped
// here: through a pidfd, after checking the process is the pasta started
// with this very pid file (a pid the file names may since be another
// process's), and waited for, so that the ports are free on return.
func stopPasta(dir string) {
	pidFile := filepath.Join(dir, pastaPidFile)
	data, err := os.ReadFile(pidFile)
	if err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 0 {
			endPasta(pid, pidFile)
		}
		os.Remove(pidFile)
	}
	reapPasta(dir) // stopped here or by another process (rm -f)
	if err != nil {
		return // nothing of pasta's was noted
	}
	clearNetworkSettings(dir)
}

// reapPasta waits for the pasta this process started for dir, if any, to
// be reaped (by startPasta's goroutine), once something has stopped it.
func reapPasta(dir string) {
	if v, ok := started.LoadAndDelete(dir); ok {
		select {
		case <-v.(chan error):
		case <-time.After(2 * time.Second):
		}
	}
}

// endPasta stops pid if it is the pasta that wrote pidFile.
func endPasta(pid int, pidFile string) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // gone already
	}
	defer unix.Close(fd)
	// The pidfd holds the process: what /proc says now is about it.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "\x00--pid\x00"+pidFile+"\x00") {
		return
	}
	if unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0) != nil {
		return
	}
	// Readable once it has exited; a pasta that ignores SIGTERM for a
	// second gets SIGKILL.
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 1000); n == 1 {
		return
	}
	_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	_, _ = unix.Poll(fds, 1000)
}
