package docker

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/seccomp"
)

// DockerMaskedPaths and DockerReadonlyPaths are Docker's defaults: kernel
// interfaces that leak host information or let a container change the host.
var (
	DockerMaskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
	}
	DockerReadonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// DockerDeviceRules is the device cgroup Docker gives a container: nothing
// but the nodes every container has, plus mknod of any node (an image may
// carry nodes; making one grants no access to it). moby's oci/defaults.go
// lists deny-all and 1:3, 1:5, 1:8, 1:9, 5:0, 5:1, and relies on runc to
// append 1:7, 5:2, 136:*, 10:200 and the two mknod rules
// (specconv.AllowedDevices). minirun appends the same fixed set, but the
// list here is written out whole so that the config alone says what the
// container may open, whichever runtime reads it.
// moby's explicit "deny c 10:229" (fuse) is left out: deny-all covers it.
func DockerDeviceRules() []specs.LinuxDeviceCgroup {
	rule := func(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: devNumber(major), Minor: devNumber(minor), Access: access}
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		rule("c", -1, -1, "m"),
		rule("b", -1, -1, "m"),
		rule("c", 1, 3, "rwm"),    // null
		rule("c", 1, 5, "rwm"),    // zero
		rule("c", 1, 7, "rwm"),    // full
		rule("c", 1, 8, "rwm"),    // random
		rule("c", 1, 9, "rwm"),    // urandom
		rule("c", 5, 0, "rwm"),    // tty
		rule("c", 5, 1, "rwm"),    // console
		rule("c", 5, 2, "rwm"),    // ptmx
		rule("c", 136, -1, "rwm"), // pts
	}
}

// devNumber is a rule's major or minor: -1 (any) is left out, as the
// runtime spec writes "all"; crun, among others, takes a literal -1 to the
// kernel, which refuses it.
func devNumber(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

// DefaultSpec is a starting config with Docker's defaults: its 14
// capabilities, masked and read-only paths, mounts, namespaces, device
// rules, and its default seccomp profile resolved for those capabilities.
func DefaultSpec() (*specs.Spec, error) {
	s := BaseSpec()
	profile, err := seccomp.DefaultProfile(s.Process.Capabilities.Bounding)
	if err != nil {
		return nil, fmt.Errorf("default seccomp profile: %w", err)
	}
	s.Linux.Seccomp = profile
	return s, nil
}

// BaseSpec is DefaultSpec without a seccomp profile, for callers that
// resolve the profile against other capabilities (the Docker front).
func BaseSpec() *specs.Spec {
	capList := append([]string(nil), caps.DockerDefaults...)
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Args: []string{"sh"},
			Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: capList, Effective: capList, Permitted: capList,
			},
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Root:     &specs.Root{Path: "rootfs"},
		Hostname: "minirun",
		Mounts:   DefaultMounts(),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace}, {Type: specs.CgroupNamespace},
			},
			MaskedPaths:   append([]string(nil), DockerMaskedPaths...),
			ReadonlyPaths: append([]string(nil), DockerReadonlyPaths...),
			Resources:     &specs.LinuxResources{Devices: DockerDeviceRules()},
		},
	}
}

// DefaultMounts are the filesystems Docker gives every container.
func DefaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
	}
}
