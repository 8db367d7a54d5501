package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// OOMWatch reports the OOM kills in the cgroup at path (as Manager.Path
// gives it), for `events`: one value on the channel per kill, or per
// burst of them. It stops, closing the channel, when stop is called or
// the cgroup goes away.
//
// On v1 the kernel signals an eventfd registered through
// cgroup.event_control (and signals it once more when the cgroup is
// removed); on v2 memory.events' oom_kill count is read when the file is
// modified, which inotify tells.
func OOMWatch(path string) (<-chan struct{}, func(), error) {
	// The root cgroup would report every OOM kill on the host.
	if path == "" || filepath.Clean(path) == "/" {
		return nil, nil, fmt.Errorf("watch OOM kills: the container has no cgroup of its own")
	}
	if dir := filepath.Join("/sys/fs/cgroup/memory", path); exists(dir) {
		return oomWatchV1(dir)
	}
	for _, mount := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if f := filepath.Join(mount, path, "memory.events"); exists(f) {
			return oomWatchV2(f)
		}
	}
	return nil, nil, fmt.Errorf("watch OOM kills of cgroup %s: no memory controller for it", path)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func oomWatchV1(dir string) (<-chan struct{}, func(), error) {
	oomControl, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return nil, nil, fmt.Errorf("watch OOM kills: %w", err)
	}
	// Non-blocking, so the runtime poller serves Read and Close ends it.
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		oomControl.Close()
		return nil, nil, fmt.Errorf("watch OOM kills: eventfd: %w", err)
	}
	ev := os.NewFile(uintptr(efd), "oom-eventfd")
	reg := fmt.Sprintf("%d %d", efd, oomControl.Fd())
	if err := os.WriteFile(filepath.Join(dir, "cgroup.event_control"), []byte(reg), 0); err != nil {
		ev.Close()
		oomControl.Close()
		return nil, nil, fmt.Errorf("watch OOM kills: register with %s: %w", dir, err)
	}
	// The same eventfd fires when the cgroup is removed: the watch then ends.
	ch, stop := watchEvents(ev, 8, dir, func() bool { return true }, func() { oomControl.Close() })
	return ch, stop, nil
}

func oomWatchV2(file string) (<-chan struct{}, func(), error) {
	ifd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, nil, fmt.Errorf("watch OOM kills: inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(ifd, file, unix.IN_MODIFY); err != nil {
		unix.Close(ifd)
		return nil, nil, fmt.Errorf("watch OOM kills: watch %s: %w", file, err)
	}
	in := os.NewFile(uintptr(ifd), "oom-inotify")
	seen := oomKills(file)
	ch, stop := watchEvents(in, 4096, file, func() bool {
		n := oomKills(file)
		fired := n > seen
		seen = n
		return fired
	}, func() {})
	return ch, stop, nil
}

// watchEvents reads src (an eventfd or inotify fd, non-blocking so that
// closing it ends a pending Read) until stop is called or the path gone
// no longer exists, and sends on the returned channel each time kill
// reports an OOM kill. release runs once the watch ends.
func watchEvents(src *os.File, bufSize int, gone string, kill func() bool, release func()) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		defer release()
		buf := make([]byte, bufSize)
		for {
			if _, err := src.Read(buf); err != nil {
				return // closed by stop
			}
			if !exists(gone) {
				return
			}
			if !kill() {
				continue
			}
			select {
			case ch <- struct{}{}:
			case <-done:
				return
			}
		}
	}()
	return ch, func() {
		close(done)
		src.Close()
	}
}

// oomKills is memory.events' oom_kill count.
func oomKills(file string) uint64 {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && k == "oom_kill" {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}
