package tests

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Bad input, table-driven: every case is one thing a user, an engine or an
// image could hand minirun that it must refuse (or, for hostile tars, keep
// inside the store). Each must end with the exit code runc or Docker would
// give, by the command line's form (exitRunc, exitDocker), one line of error
// naming the step, the object and the cause, and nothing left:
// no mount, process, cgroup, state dir, container dir, layer or temp file.

// tarEnt is one entry of a tar built for `minirun import`.
type tarEnt struct {
	name, link string
	typ        byte
	mode       int64
	body       string
	pax        map[string]string
}

type badCase struct {
	name string
	// Exactly one of these makes the input.
	spec    func(s *specs.Spec)       // a change to the default config
	json    func(m map[string]any)    // a change to the config as raw JSON
	text    string                    // config.json verbatim
	profile string                    // a Docker seccomp profile for --security-opt
	docker  []string                  // `run` flags and arguments, Docker style
	tar     []tarEnt                  // a tar to `import`
	tarFn   func(t *testing.T) []byte // a tar too big to write out as a table
	cli     []string                  // minirun arguments verbatim (ID replaced)
	// What must come out.
	code int
	want []string
	// For hostile tars that must import, not fail: what must hold after.
	check func(t *testing.T, fs string)
}

func setJSON(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

func deepJSON(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

func badCases() []badCase {
	seccompWith := func(sc specs.LinuxSeccomp) func(s *specs.Spec) {
		return func(s *specs.Spec) { s.Linux.Seccomp = &sc }
	}
	allow := specs.LinuxSeccompAction("SCMP_ACT_ALLOW")
	return []badCase{
		// Malformed config.json.
		{name: "config not json", text: "not json at all", code: exitRunc, want: []string{"load config", "config.json", "line 1, column", "invalid character"}},
		{name: "config empty", text: "", code: exitRunc, want: []string{"config.json", "unexpected end of JSON input"}},
		{name: "config truncated", text: `{"ociVersion":"1.0.0","process":{"args":["true"]`, code: exitRunc, want: []string{"config.json", "unexpected end of JSON input"}},
		{name: "config is an array", text: `[1,2,3]`, code: exitRunc, want: []string{"config.json", "array"}},
		{name: "config trailing garbage", text: `{"ociVersion":"1.0.0"} {"x":1}`, code: exitRunc, want: []string{"config.json", "after top-level value"}},
		{name: "args a string", json: func(m map[string]any) { setJSON(m, "process.args", "true") }, code: exitRunc, want: []string{"config.json", "process.args", "string"}},
		{name: "uid a string", json: func(m map[string]any) { setJSON(m, "process.user.uid", "root") }, code: exitRunc, want: []string{"config.json", "process.user.uid", "string"}},
		{name: "uid negative", json: func(m map[string]any) { setJSON(m, "process.user.uid", -1) }, code: exitRunc, want: []string{"config.json", "process.user.uid", "-1"}},
		{name: "uid above 32 bits", json: func(m map[string]any) { setJSON(m, "process.user.uid", 1<<40) }, code: exitRunc, want: []string{"config.json", "process.user.uid", "1099511627776"}},
		{name: "terminal a number", json: func(m map[string]any) { setJSON(m, "process.terminal", 1) }, code: exitRunc, want: []string{"config.json", "process.terminal", "number"}},
		{name: "mounts an object", json: func(m map[string]any) { m["mounts"] = map[string]any{"a": 1} }, code: exitRunc, want: []string{"config.json", "mounts", "object"}},
		{name: "namespaces a string", json: func(m map[string]any) { setJSON(m, "linux.namespaces", "pid") }, code: exitRunc, want: []string{"config.json", "linux.namespaces", "string"}},
		{name: "memory limit a string", json: func(m map[string]any) { setJSON(m, "linux.resources.memory", map[string]any{"limit": "1g"}) }, code: exitRunc, want: []string{"config.json", "linux.resources.memory.limit", "string"}},
		{name: "annotation value an object", json: func(m map[string]any) { m["annotations"] = map[string]any{"a": map[string]any{}} }, code: exitRunc, want: []string{"config.json", "annotations", "object"}},
		{name: "deep nesting in an unknown field", json: func(m map[string]any) {
			var v any
			json.Unmarshal([]byte(deepJSON(40)), &v)
			setJSON(m, "process.args", v)
		}, code: exitRunc, want: []string{"config.json", "process.args", "object"}},
		{name: "no process", json: func(m map[string]any) { delete(m, "process") }, code: exitRunc, want: []string{"validate config", "process", "missing"}},
		{name: "empty args", spec: func(s *specs.Spec) { s.Process.Args = []string{} }, code: exitRunc, want: []string{"validate config", "process.args", "empty"}},
		{name: "no root", json: func(m map[string]any) { delete(m, "root") }, code: exitRunc, want: []string{"validate config", "root.path", "missing"}},
		{name: "no ociVersion", json: func(m map[string]any) { delete(m, "ociVersion") }, code: exitRunc, want: []string{"ociVersion"}},
		{name: "ociVersion garbage", spec: func(s *specs.Spec) { s.Version = "latest" }, code: exitRunc, want: []string{"ociVersion", "latest"}},
		{name: "rootfs is a file", spec: func(s *specs.Spec) { s.Root.Path = filepath.Join(rootfs, "bin", "busybox") }, code: exitRunc, want: []string{"root.path", "busybox", "not a directory"}},
		{name: "rootfs missing", spec: func(s *specs.Spec) { s.Root.Path = "/nonexistent/rootfs" }, code: exitRunc, want: []string{"root.path", "/nonexistent/rootfs", "no such file or directory"}},
		{name: "relative mount destination", spec: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "data", Type: "tmpfs", Source: "tmpfs"})
		}, code: exitRunc, want: []string{"validate config", "destination", `"data"`, "not an absolute path"}},
		{name: "mount source missing", spec: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: "/nonexistent/src", Options: []string{"rbind"}})
		}, code: exitRunc, want: []string{"mount /data", "/nonexistent/src", "no such file or directory"}},
		{name: "unknown mount type", spec: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "nosuchfs", Source: "none"})
		}, code: exitRunc, want: []string{"mount /x", "nosuchfs", "no such device"}},
		{name: "unknown mount option", spec: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"bogusopt=1"}})
		}, code: exitRunc, want: []string{"mount /x", "tmpfs", "invalid argument"}},
		{name: "duplicate mount", spec: func(s *specs.Spec) {
			m := specs.Mount{Destination: "/dup", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid"}}
			s.Mounts = append(s.Mounts, m, m) // stacked, as runc does: not an error
		}, code: 0},
		{name: "mount over /proc with a bind of a file", spec: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc/self", Type: "bind", Source: "/etc/hostname", Options: []string{"bind"}})
		}, code: exitRunc, want: []string{"mount /proc/self"}},
		{name: "unknown namespace", spec: func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
		}, code: exitRunc, want: []string{"linux.namespaces", "bogus"}},
		{name: "duplicate namespace", spec: func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
		}, code: exitRunc, want: []string{"linux.namespaces", "pid"}},
		{name: "namespace path missing", spec: func(s *specs.Spec) {
			for i, n := range s.Linux.Namespaces {
				if n.Type == specs.NetworkNamespace {
					s.Linux.Namespaces[i].Path = "/nonexistent/ns"
				}
			}
		}, code: exitRunc, want: []string{"join namespace", "/nonexistent/ns", "no such file or directory"}},
		{name: "namespace path of another type", spec: func(s *specs.Spec) {
			for i, n := range s.Linux.Namespaces {
				if n.Type == specs.NetworkNamespace {
					s.Linux.Namespaces[i].Path = "/proc/self/ns/uts"
				}
			}
		}, code: exitRunc, want: []string{"join namespace", "network", "/proc/self/ns/uts", "is a uts namespace"}},
		{name: "namespace path not a namespace", spec: func(s *specs.Spec) {
			for i, n := range s.Linux.Namespaces {
				if n.Type == specs.NetworkNamespace {
					s.Linux.Namespaces[i].Path = "/etc/hostname"
				}
			}
		}, code: exitRunc, want: []string{"join namespace", "/etc/hostname", "not a namespace"}},
		{name: "hostname without uts", spec: func(s *specs.Spec) {
			var ns []specs.LinuxNamespace
			for _, n := range s.Linux.Namespaces {
				if n.Type != specs.UTSNamespace {
					ns = append(ns, n)
				}
			}
			s.Linux.Namespaces = ns
		}, code: exitRunc, want: []string{"validate config", "hostname", "uts namespace"}},
		{name: "unknown capability", spec: func(s *specs.Spec) {
			s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_BOGUS")
		}, code: exitRunc, want: []string{"process.capabilities.bounding", "CAP_BOGUS"}},
		{name: "capability without prefix", spec: func(s *specs.Spec) {
			s.Process.Capabilities.Permitted = append(s.Process.Capabilities.Permitted, "chown")
		}, code: exitRunc, want: []string{"process.capabilities.permitted", "chown"}},
		{name: "unknown rlimit", spec: func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS", Soft: 1, Hard: 1}}
		}, code: exitRunc, want: []string{"validate config", "process.rlimits[0]", "RLIMIT_BOGUS"}},
		{name: "rlimit soft above hard", spec: func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 100, Hard: 10}}
		}, code: exitRunc, want: []string{"process.rlimits[0]", "RLIMIT_NOFILE", "soft limit 100 above hard limit 10"}},
		{name: "user namespace without mappings", spec: func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}, code: exitRunc, want: []string{"validate config", "uidMappings", "user namespace"}},
		{name: "uid mapping of size 0", spec: func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 0}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		}, code: exitRunc, want: []string{"validate config", "linux.uidMappings[0]", "size 0"}},
		{name: "overlapping uid mappings", spec: func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 100}, {ContainerID: 50, HostID: 200000, Size: 100}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		}, code: exitRunc, want: []string{"validate config", "linux.uidMappings[1]", "overlap", "linux.uidMappings[0]"}},
		{name: "mappings without a user namespace", spec: func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		}, code: exitRunc, want: []string{"validate config", "uidMappings", "without a user namespace"}},
		{name: "unknown device rule type", spec: func(s *specs.Spec) {
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: "x", Access: "rwm"})
		}, code: exitRunc, want: []string{"validate config", "devices", `"x"`}},
		{name: "bad device rule access", spec: func(s *specs.Spec) {
			// Letters beside r, w and m are ignored, as runc ignores them
			// (TestDeviceAccessRunc); a rule with none of those is refused.
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: "xyz"})
		}, code: exitRunc, want: []string{"validate config", "devices", "xyz"}},
		{name: "unknown sysctl", spec: func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.bogus_knob": "1"} }, code: exitRunc, want: []string{"sysctl", "kernel.bogus_knob"}},
		{name: "host-wide sysctl", spec: func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"vm.swappiness": "1"} }, code: exitRunc, want: []string{"sysctl", "vm.swappiness"}},
		{name: "sysctl path traversal", spec: func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../../kernel/hostname": "x"} }, code: exitRunc, want: []string{"sysctl", "net/../../kernel/hostname"}},
		{name: "unknown rootfs propagation", spec: func(s *specs.Spec) { s.Linux.RootfsPropagation = "sideways" }, code: exitRunc, want: []string{"validate config", "sideways"}},
		{name: "negative cpu shares", json: func(m map[string]any) { setJSON(m, "linux.resources.cpu", map[string]any{"shares": -5}) }, code: exitRunc, want: []string{"config.json", "linux.resources.cpu.shares", "-5"}},
		{name: "cpuset out of range", spec: func(s *specs.Spec) { s.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "0-4096"} }, code: exitRunc, want: []string{"cpuset", "0-4096"}},
		{name: "memory limit below usage floor", spec: func(s *specs.Spec) { l := int64(1); s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &l} }, code: exitRunc, want: []string{"memory"}},
		{name: "cwd relative", spec: func(s *specs.Spec) { s.Process.Cwd = "tmp" }, code: exitRunc, want: []string{"cwd", `"tmp"`}},
		{name: "cwd a file", spec: func(s *specs.Spec) { s.Process.Cwd = "/bin/busybox" }, code: exitRunc, want: []string{"cwd", "/bin/busybox", "not a directory"}},
		{name: "command not found", spec: func(s *specs.Spec) { s.Process.Args = []string{"/nonexistent"} }, code: exitRunc, want: []string{"exec", "/nonexistent", "no such file or directory"}},
		{name: "command not executable", spec: func(s *specs.Spec) { s.Process.Args = []string{"/etc/passwd"} }, code: exitRunc, want: []string{"exec", "/etc/passwd", "permission denied"}},
		{name: "command a directory", spec: func(s *specs.Spec) { s.Process.Args = []string{"/tmp"} }, code: exitRunc, want: []string{"exec", "/tmp"}},
		{name: "unknown hook path", spec: func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/nonexistent/hook"}}}
		}, code: exitRunc, want: []string{"hook", "/nonexistent/hook", "no such file or directory"}},

		// Hostile seccomp, in config.json (OCI form).
		{name: "seccomp unknown action", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}), code: exitRunc, want: []string{"linux.seccomp", "SCMP_ACT_BOGUS"}},
		// A name libseccomp doesn't know is skipped with a warning, as runc
		// and Docker do: profiles name syscalls of newer kernels.
		{name: "seccomp unknown syscall", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"no_such_syscall"}, Action: "SCMP_ACT_ERRNO"}}}), code: 0, want: []string{"warning", "seccomp", "no_such_syscall"}},
		{name: "seccomp unknown arch", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: allow, Architectures: []specs.Arch{"SCMP_ARCH_BOGUS"}}), code: exitRunc, want: []string{"seccomp", "SCMP_ARCH_BOGUS"}},
		{name: "seccomp bad arg op", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: "SCMP_ACT_ERRNO",
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: "SCMP_CMP_SIDEWAYS"}}}}}), code: exitRunc, want: []string{"seccomp", "SCMP_CMP_SIDEWAYS"}},
		{name: "seccomp arg index 6", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: "SCMP_ACT_ERRNO",
			Args: []specs.LinuxSeccompArg{{Index: 6, Value: 1, Op: "SCMP_CMP_EQ"}}}}}), code: exitRunc, want: []string{"linux.seccomp", "syscalls[0].args[0].index", "6 out of range"}},
		{name: "seccomp errno out of range", json: func(m map[string]any) {
			setJSON(m, "linux.seccomp", map[string]any{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []any{map[string]any{"names": []any{"mkdir"}, "action": "SCMP_ACT_ERRNO", "errnoRet": 70000}}})
		}, code: exitRunc, want: []string{"seccomp", "70000"}},
		{name: "seccomp errno negative", json: func(m map[string]any) {
			setJSON(m, "linux.seccomp", map[string]any{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []any{map[string]any{"names": []any{"mkdir"}, "action": "SCMP_ACT_ERRNO", "errnoRet": -1}}})
		}, code: exitRunc, want: []string{"config.json", "errnoRet", "-1"}},
		{name: "seccomp denies execve", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_ERRNO", Architectures: []specs.Arch{"SCMP_ARCH_X86_64"}}), code: exitRunc, want: []string{"seccomp", "execve"}},
		{name: "seccomp notify without listener", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: "SCMP_ACT_NOTIFY"}}}), code: exitRunc, want: []string{"seccomp", "listenerPath"}},
		{name: "seccomp unknown flag", spec: seccompWith(specs.LinuxSeccomp{DefaultAction: allow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_BOGUS"}}), code: exitRunc, want: []string{"seccomp", "SECCOMP_FILTER_FLAG_BOGUS"}},

		// Hostile seccomp, as a Docker profile.
		{name: "profile not json", profile: "{not json", code: exitDocker, want: []string{"seccomp", "profile.json"}},
		{name: "profile unknown action", profile: `{"defaultAction":"SCMP_ACT_MAYBE"}`, code: exitDocker, want: []string{"seccomp", "SCMP_ACT_MAYBE"}},
		{name: "profile unknown syscall", profile: `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["fork_bomb"],"action":"SCMP_ACT_ERRNO"}]}`, code: 0, want: []string{"warning", "seccomp", "fork_bomb"}},
		{name: "profile unknown arch", profile: `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]}`, code: exitDocker, want: []string{"seccomp", "SCMP_ARCH_Z80"}},
		{name: "profile bad arg op", profile: `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_NEAR"}]}]}`, code: exitDocker, want: []string{"seccomp", "SCMP_CMP_NEAR"}},
		{name: "profile errno a string", profile: `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":"EPERM"}]}`, code: exitDocker, want: []string{"seccomp", "errnoRet"}},
		{name: "profile syscalls an object", profile: `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":{"names":["mkdir"]}}`, code: exitDocker, want: []string{"seccomp", "syscalls"}},

		// Bad CLI flags, Docker front.
		{name: "run unknown flag", docker: []string{"--bogus", "alpine", "true"}, code: exitDocker, want: []string{"run", "bogus"}},
		{name: "run no image", docker: []string{"--rm"}, code: exitDocker, want: []string{"run", "image is required"}},
		{name: "run unknown image", docker: []string{"--rm", "no-such-image", "true"}, code: exitDocker, want: []string{"no-such-image", "locally"}},
		{name: "run bad image ref", docker: []string{"--rm", "UPPER::case", "true"}, code: exitDocker, want: []string{"UPPER::case"}},
		{name: "run bad --memory", docker: []string{"--rm", "--memory", "lots", "alpine", "true"}, code: exitDocker, want: []string{"--memory", "lots"}},
		{name: "run negative --memory", docker: []string{"--rm", "--memory", "-5m", "alpine", "true"}, code: exitDocker, want: []string{"--memory", "-5m"}},
		{name: "run bad --cpus", docker: []string{"--rm", "--cpus", "many", "alpine", "true"}, code: exitDocker, want: []string{"--cpus", "many"}},
		{name: "run negative --cpus", docker: []string{"--rm", "--cpus", "-1", "alpine", "true"}, code: exitDocker, want: []string{"--cpus", "-1"}},
		{name: "run bad --pids-limit", docker: []string{"--rm", "--pids-limit", "ten", "alpine", "true"}, code: exitDocker, want: []string{"pids-limit", "ten"}},
		{name: "run unknown --security-opt", docker: []string{"--rm", "--security-opt", "selinux-type=x", "alpine", "true"}, code: exitDocker, want: []string{"--security-opt", "selinux-type=x", "unknown option"}},
		{name: "run seccomp without a value", docker: []string{"--rm", "--security-opt", "seccomp=", "alpine", "true"}, code: exitDocker, want: []string{"--security-opt", "seccomp needs a value"}},
		{name: "run bad no-new-privileges", docker: []string{"--rm", "--security-opt", "no-new-privileges=perhaps", "alpine", "true"}, code: exitDocker, want: []string{"no-new-privileges", "perhaps"}},
		{name: "run seccomp profile missing", docker: []string{"--rm", "--security-opt", "seccomp=/nonexistent.json", "alpine", "true"}, code: exitDocker, want: []string{"seccomp", "/nonexistent.json", "no such file"}},
		{name: "run unknown --cap-add", docker: []string{"--rm", "--cap-add", "FLY", "alpine", "true"}, code: exitDocker, want: []string{"--cap-add", "FLY"}},
		{name: "run unknown --cap-drop", docker: []string{"--rm", "--cap-drop", "SWIM", "alpine", "true"}, code: exitDocker, want: []string{"--cap-drop", "SWIM"}},
		{name: "run unknown --user", docker: []string{"--rm", "--user", "nosuchuser", "alpine", "true"}, code: exitDocker, want: []string{"user", "nosuchuser"}},
		{name: "run bad --user uid", docker: []string{"--rm", "--user", "1:2:3", "alpine", "true"}, code: exitDocker, want: []string{"user", "1:2:3"}},
		{name: "run bad --ulimit", docker: []string{"--rm", "--ulimit", "nofile=abc", "alpine", "true"}, code: exitDocker, want: []string{"ulimit", "nofile=abc"}},
		{name: "run unknown --ulimit", docker: []string{"--rm", "--ulimit", "wishes=3", "alpine", "true"}, code: exitDocker, want: []string{"ulimit", "wishes"}},
		{name: "run bad --volume", docker: []string{"--rm", "-v", "./relative:/data", "alpine", "true"}, code: exitDocker, want: []string{"volume", "relative"}},
		{name: "run volume file onto a directory", docker: []string{"--rm", "-v", "/etc/hostname:/bin", "alpine", "true"}, code: exitDocker, want: []string{"mount /bin", "/etc/hostname", "invalid argument"}},
		{name: "run bad volume mode", docker: []string{"--rm", "-v", "/tmp:/data:rx", "alpine", "true"}, code: exitDocker, want: []string{"-v", "/tmp:/data:rx", "unknown mode"}},
		{name: "run bad --network", docker: []string{"--rm", "--network", "nosuchnet", "alpine", "true"}, code: exitDocker, want: []string{"network", "nosuchnet", "not found"}},
		{name: "run -p with --network none", docker: []string{"--rm", "--network", "none", "-p", "8080:80", "alpine", "true"}, code: exitDocker, want: []string{"-p", "none"}},
		{name: "run bad -p", docker: []string{"--rm", "-p", "80/sctp", "alpine", "true"}, code: exitDocker, want: []string{"-p 80/sctp", "sctp"}},
		{name: "run bad --name", docker: []string{"--rm", "--name", "../evil", "alpine", "true"}, code: exitDocker, want: []string{"name", "../evil"}},
		{name: "run bad -e", docker: []string{"--rm", "-e", "=value", "alpine", "true"}, code: exitDocker, want: []string{"-e", "=value"}},
		{name: "run env-file missing", docker: []string{"--rm", "--env-file", "/nonexistent/env", "alpine", "true"}, code: exitDocker, want: []string{"env-file", "/nonexistent/env", "no such file"}},
		{name: "run relative workdir", docker: []string{"--rm", "-w", "tmp", "alpine", "true"}, code: exitDocker, want: []string{"-w", `"tmp"`, "absolute"}},
		{name: "run command not found", docker: []string{"--rm", "alpine", "nosuchcommand"}, code: 127, want: []string{"exec", "nosuchcommand", "not found"}},
		{name: "run command not executable", docker: []string{"--rm", "alpine", "/etc/passwd"}, code: 126, want: []string{"exec", "/etc/passwd", "permission denied"}},
		{name: "run -d with --rm", docker: []string{"-d", "--rm", "alpine", "true"}, code: exitDocker, want: []string{"--rm", "-d"}},

		// Bad CLI, runc style. "ID" is replaced by the case's container id.
		{name: "unknown command", cli: []string{"frobnicate"}, code: exitDocker, want: []string{"frobnicate"}},
		{name: "unknown global flag", cli: []string{"--frob", "list"}, code: exitRunc, want: []string{"frob"}},
		{name: "state of nothing", cli: []string{"state", "ID"}, code: exitRunc, want: []string{"state", "ID", "does not exist"}},
		{name: "kill unknown signal", cli: []string{"kill", "ID", "SIGBOGUS"}, code: exitRunc, want: []string{"SIGBOGUS"}},
		{name: "delete of nothing", cli: []string{"delete", "ID"}, code: exitRunc, want: []string{"delete", "ID", "does not exist"}},
		{name: "exec into nothing", cli: []string{"exec", "ID", "true"}, code: exitRuncExec, want: []string{"exec", "ID", "does not exist"}},
		{name: "id with a slash", cli: []string{"run", "-b", "BUNDLE", "a/b"}, code: exitRunc, want: []string{"a/b", "id"}},
		{name: "id dot dot", cli: []string{"run", "-b", "BUNDLE", ".."}, code: exitRunc, want: []string{`".."`, "id"}},
		{name: "id empty", cli: []string{"run", "-b", "BUNDLE", ""}, code: exitRunc, want: []string{"id"}},
		{name: "id too long", cli: []string{"run", "-b", "BUNDLE", strings.Repeat("x", 1024)}, code: exitRunc, want: []string{"container id", "1024 bytes long", "255"}},
		{name: "id with a newline", cli: []string{"run", "-b", "BUNDLE", "a\nb"}, code: exitRunc, want: []string{"id"}},
		{name: "bundle missing", cli: []string{"run", "-b", "/nonexistent/bundle", "ID"}, code: exitRunc, want: []string{"load config", "/nonexistent/bundle/config.json", "no such file or directory"}},
		{name: "pid file in a missing dir", cli: []string{"run", "--pid-file", "/nonexistent/dir/pid", "-b", "BUNDLE", "ID"}, code: exitRunc, want: []string{"pid file", "/nonexistent/dir/pid", "no such file or directory"}},
		{name: "console socket missing", cli: []string{"create", "--console-socket", "/nonexistent/sock", "-b", "TTYBUNDLE", "ID"}, code: exitRunc, want: []string{"console", "/nonexistent/sock"}},

		// Hostile tars for `import`.
		{name: "tar dot dot", tar: []tarEnt{{name: "../escape", typ: tar.TypeReg, body: "x"}}, code: exitDocker, want: []string{"unpack layer", "../escape", "escapes"}},
		{name: "tar dot dot inside", tar: []tarEnt{{name: "a/../../escape", typ: tar.TypeReg, body: "x"}}, code: exitDocker, want: []string{"unpack layer", "a/../../escape", "escapes"}},
		{name: "tar absolute path stays inside", tar: []tarEnt{{name: "/etc/minirun-abs-test", typ: tar.TypeReg, body: "inside"}}, check: func(t *testing.T, fs string) {
			if _, err := os.Stat("/etc/minirun-abs-test"); err == nil {
				os.Remove("/etc/minirun-abs-test")
				t.Error("an absolute tar path was written on the host")
			}
			if data, err := os.ReadFile(filepath.Join(fs, "etc/minirun-abs-test")); string(data) != "inside" {
				t.Errorf("absolute entry not inside the layer: %q %v", data, err)
			}
		}},
		{name: "tar symlink then file through it", tar: []tarEnt{
			{name: "evil", typ: tar.TypeSymlink, link: "HOSTDIR"},
			{name: "evil/planted", typ: tar.TypeReg, body: "x"},
		}, check: func(t *testing.T, fs string) {
			if _, err := os.Stat(filepath.Join(hostDirOf(t), "planted")); err == nil {
				t.Error("a file went through a symlink out of the layer")
			}
		}},
		{name: "tar absolute symlink then dir through it", tar: []tarEnt{
			{name: "lnk", typ: tar.TypeSymlink, link: "/"},
			{name: "lnk/HOSTREL/planted-dir/", typ: tar.TypeDir},
		}, check: func(t *testing.T, fs string) {
			if _, err := os.Stat(filepath.Join(hostDirOf(t), "planted-dir")); err == nil {
				t.Error("a directory went through an absolute symlink out of the layer")
			}
		}},
		{name: "tar hardlink outside", tar: []tarEnt{{name: "shadow", typ: tar.TypeLink, link: "../../../../../../etc/shadow"}}, code: exitDocker, want: []string{"unpack layer", "shadow", "escapes"}},
		{name: "tar hardlink through a symlink", tar: []tarEnt{
			{name: "etcl", typ: tar.TypeSymlink, link: "/etc"},
			{name: "pw", typ: tar.TypeLink, link: "etcl/passwd"},
		}, code: exitDocker, want: []string{"unpack layer", "pw", "etcl/passwd"}},
		{name: "tar device node kept but confined", tar: []tarEnt{{name: "dev/sda-copy", typ: tar.TypeBlock, mode: 0o660}}, check: func(t *testing.T, fs string) {
			if fi, err := os.Lstat(filepath.Join(fs, "dev/sda-copy")); err != nil || fi.Mode()&os.ModeDevice == 0 {
				t.Errorf("device node: %v %v", fi, err)
			}
		}},
		{name: "tar setuid file", tar: []tarEnt{{name: "bin/suid", typ: tar.TypeReg, mode: 0o4755, body: "#!/bin/sh\n"}}, check: func(t *testing.T, fs string) {
			fi, err := os.Lstat(filepath.Join(fs, "bin/suid"))
			if err != nil || fi.Mode()&os.ModeSetuid == 0 {
				t.Errorf("setuid bit not kept as the image says: %v %v", fi, err)
			}
		}},
		{name: "tar whiteout of dot dot", tar: []tarEnt{{name: "a/.wh...", typ: tar.TypeReg}}, code: exitDocker, want: []string{"unpack layer", ".wh...", "whiteout"}},
		{name: "tar whiteout becomes 0:0", tar: []tarEnt{{name: "etc/.wh.passwd", typ: tar.TypeReg}}, check: func(t *testing.T, fs string) {
			if fi, err := os.Lstat(filepath.Join(fs, "etc/passwd")); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
				t.Errorf("whiteout not a 0:0 char device: %v %v", fi, err)
			}
		}},
		{name: "tar opaque whiteout", tar: []tarEnt{{name: "etc/", typ: tar.TypeDir, mode: 0o755}, {name: "etc/.wh..wh..opq", typ: tar.TypeReg}}, check: func(t *testing.T, fs string) {
			buf := make([]byte, 4)
			if n, err := getxattr(filepath.Join(fs, "etc"), "trusted.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
				t.Errorf("opaque xattr: %q %v", buf[:n], err)
			}
		}},
		{name: "tar overlay xattr smuggled", tar: []tarEnt{{name: "d/", typ: tar.TypeDir, mode: 0o755, pax: map[string]string{"SCHILY.xattr.trusted.overlay.redirect": "/etc"}}}, check: func(t *testing.T, fs string) {
			buf := make([]byte, 64)
			if _, err := getxattr(filepath.Join(fs, "d"), "trusted.overlay.redirect", buf); err == nil {
				t.Error("a layer set an overlay xattr")
			}
		}},
		{name: "tar unknown entry type", tar: []tarEnt{{name: "weird", typ: 'Z'}}, code: exitDocker, want: []string{"unpack layer", "weird", "unsupported tar entry type"}},
		{name: "tar truncated", tarFn: func(t *testing.T) []byte {
			b := buildTar(t, []tarEnt{{name: "big", typ: tar.TypeReg, body: strings.Repeat("x", 4096)}})
			return b[:1024]
		}, code: exitDocker, want: []string{"import", "layer.tar", "read tar", "unexpected EOF"}},
		{name: "tar not a tar", tarFn: func(t *testing.T) []byte { return []byte("this is not a tar file\n") }, code: exitDocker, want: []string{"import"}},
		{name: "tar of many entries", tarFn: func(t *testing.T) []byte {
			var ents []tarEnt
			for i := 0; i < 20000; i++ {
				ents = append(ents, tarEnt{name: fmt.Sprintf("d%d/f%d", i%100, i), typ: tar.TypeReg})
			}
			return buildTar(t, ents)
		}, check: func(t *testing.T, fs string) {
			if _, err := os.Stat(filepath.Join(fs, "d99/f19999")); err != nil {
				t.Error(err)
			}
		}},
		{name: "import bad name", cli: []string{"import", "Bad::Name", "ROOTFS"}, code: exitDocker, want: []string{"Bad::Name"}},
		{name: "import missing source", cli: []string{"import", "x", "/nonexistent/src.tar"}, code: exitDocker, want: []string{"import", "/nonexistent/src.tar", "no such file or directory"}},
	}
}

func tempOut(t *testing.T) *os.File {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readBack(f *os.File) string {
	data, _ := os.ReadFile(f.Name())
	return string(data)
}

var hostDirs sync.Map

// hostDirOf is a host directory a hostile tar aims at, one per test.
func hostDirOf(t *testing.T) string {
	d, _ := hostDirs.LoadOrStore(t.Name(), t.TempDir())
	return d.(string)
}

func buildTar(t *testing.T, ents []tarEnt) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: mode, Size: int64(len(e.body)),
			ModTime: time.Unix(1700000000, 0), PAXRecords: e.pax, Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestBadInput(t *testing.T) {
	needRoot(t)
	store := badStore(t)
	cases := badCases()
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	t.Logf("%d bad-input cases", len(cases))
	for i, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			id := fmt.Sprintf("bad-%d-%d", i, time.Now().UnixNano())
			tmp := t.TempDir() // minirun's TMPDIR: must stay empty
			before := snapshotLeftovers(store, tmp)
			mountsBefore := mountsUnderDir(workDir)
			r, imported := runBadCase(t, c, id, store, tmp)
			checkBadResult(t, c, r)
			if c.check != nil && r.code == 0 {
				img := imageFS(t, store, imported)
				c.check(t, img)
				if out := runMinirun(t, "", "--store", store, "rmi", imported); out.code != 0 {
					t.Errorf("rmi %s: %+v", imported, out)
				}
			}
			// Nothing left behind.
			if n := mountsUnderDir(workDir); n != mountsBefore {
				t.Errorf("%d mounts left under %s", n-mountsBefore, workDir)
			}
			if left := childrenOf(os.Getpid()); len(left) != 0 {
				t.Errorf("processes left: %v", left)
			}
			checkNothingLeft(t, id, 0)
			after := snapshotLeftovers(store, tmp)
			for k := range after {
				if !before[k] {
					t.Errorf("left behind: %s", k)
				}
			}
		})
	}
}

// runBadCase feeds the case's input to minirun and returns what it said,
// and for an import the image name it used.
func runBadCase(t *testing.T, c badCase, id, store, tmp string) (result, string) {
	env := append(os.Environ(), "TMPDIR="+tmp)
	run := func(args ...string) result {
		cmd := exec.Command(minirun, args...)
		cmd.Env = env
		// Files, not pipes: a process a case leaves behind would hold a
		// pipe open and hang the test instead of failing it.
		out, errb := tempOut(t), tempOut(t)
		cmd.Stdout, cmd.Stderr = out, errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("minirun %q: %v", args, err)
		}
		return result{readBack(out), readBack(errb), code}
	}
	bundle := func() string {
		s := defaultSpec(t, "sh", "-c", "echo ran")
		if c.spec != nil {
			c.spec(s)
		}
		dir := writeBundle(t, s)
		cfg := filepath.Join(dir, "config.json")
		switch {
		case c.json != nil:
			data, _ := os.ReadFile(cfg)
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			c.json(m)
			data, _ = json.Marshal(m)
			os.WriteFile(cfg, data, 0o644)
		case c.spec == nil && c.cli == nil:
			os.WriteFile(cfg, []byte(c.text), 0o644)
		}
		return dir
	}
	switch {
	case c.profile != "":
		p := filepath.Join(t.TempDir(), "profile.json")
		os.WriteFile(p, []byte(c.profile), 0o644)
		return run("--store", store, "run", "--rm", "--security-opt", "seccomp="+p, "alpine", "true"), ""
	case c.docker != nil:
		return run(append([]string{"--store", store, "run"}, c.docker...)...), ""
	case c.tar != nil || c.tarFn != nil:
		var data []byte
		if c.tarFn != nil {
			data = c.tarFn(t)
		} else {
			ents := append([]tarEnt{}, c.tar...)
			host := hostDirOf(t)
			for i := range ents {
				ents[i].link = strings.ReplaceAll(ents[i].link, "HOSTDIR", host)
				ents[i].name = strings.ReplaceAll(ents[i].name, "HOSTREL", strings.TrimPrefix(host, "/"))
			}
			data = buildTar(t, ents)
		}
		p := filepath.Join(t.TempDir(), "layer.tar")
		os.WriteFile(p, data, 0o644)
		return run("--store", store, "import", id, p), id
	case c.cli != nil:
		var args []string
		for _, a := range c.cli {
			switch a {
			case "ID":
				a = id
			case "BUNDLE":
				a = bundle()
			case "TTYBUNDLE":
				s := defaultSpec(t, "true")
				s.Process.Terminal = true
				a = writeBundle(t, s)
			case "ROOTFS":
				a = rootfs
			}
			args = append(args, a)
		}
		for i, w := range c.want {
			if w == "ID" {
				c.want[i] = id
			}
		}
		return run(append([]string{"--store", store}, args...)...), ""
	}
	return run("run", "-b", bundle(), id), ""
}

func checkBadResult(t *testing.T, c badCase, r result) {
	t.Helper()
	if r.code != c.code {
		t.Errorf("exit %d, want %d (stdout %q, stderr %q)", r.code, c.code, r.stdout, r.stderr)
	}
	if c.code == 0 {
		// Accepted, with a warning where the case names one.
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("warning %q does not name %q", r.stderr, w)
			}
		}
		return
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("want one line of error, got %q", r.stderr)
	}
	for _, w := range c.want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("error %q does not name %q", r.stderr, w)
		}
	}
	if strings.Contains(r.stdout, "ran") {
		t.Errorf("the container's command ran: %q", r.stdout)
	}
}

// imageFS is the unpacked top layer of the image imported as name.
func imageFS(t *testing.T, store, name string) string {
	recs, _ := filepath.Glob(filepath.Join(store, "images", "*.json"))
	for _, p := range recs {
		var rec struct {
			Name    string   `json:"name"`
			DiffIDs []string `json:"diffIDs"`
		}
		data, _ := os.ReadFile(p)
		if json.Unmarshal(data, &rec) != nil || len(rec.DiffIDs) == 0 || !strings.Contains(rec.Name, "/"+name+":") {
			continue
		}
		top := strings.TrimPrefix(rec.DiffIDs[len(rec.DiffIDs)-1], "sha256:")
		return filepath.Join(store, "layers", "sha256", top, "fs")
	}
	t.Fatalf("no image %s in the store", name)
	return ""
}

func getxattr(path, attr string, buf []byte) (int, error) { return unix.Getxattr(path, attr, buf) }
