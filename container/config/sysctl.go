package config

import (
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/namespaces"
)

// The sysctls a container may set are the ones its own namespaces scope.
// The init writes them while it is still root in the host's user
// namespace, so anything else (kernel.core_pattern, kernel.modprobe) would
// change the host. The lists are the kernel's: ipc_sysctls.c, utsname_sysctl.c,
// and everything under net/ for a network namespace.
var (
	ipcSysctls = map[string]bool{
		"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true,
		"kernel.sem": true, "kernel.shmall": true, "kernel.shmmax": true,
		"kernel.shmmni": true, "kernel.shm_rmid_forced": true,
	}
	utsSysctls = map[string]bool{"kernel.hostname": true, "kernel.domainname": true}
)

// sysctlNamespace names the namespace that scopes key, or "" when no
// namespace does.
func sysctlNamespace(key string) specs.LinuxNamespaceType {
	switch {
	case ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue."):
		return specs.IPCNamespace
	case utsSysctls[key]:
		return specs.UTSNamespace
	case strings.HasPrefix(key, "net."):
		return specs.NetworkNamespace
	}
	return ""
}

// checkSysctls refuses a key that is malformed, that no namespace
// scopes, or whose namespace the container shares with the host.
func checkSysctls(s *specs.Spec, _ string) error {
	plan, err := planOf(s)
	if err != nil {
		return err
	}
	for k := range LinuxOf(s).Sysctl {
		if err := checkSysctl(k, plan); err != nil {
			return err
		}
	}
	return nil
}

func checkSysctl(k string, plan namespaces.Plan) error {
	// "/" is accepted by the kernel as a separator too, and ".." would
	// climb out of /proc/sys.
	if k == "" || strings.ContainsAny(k, "/") || strings.Contains(k, "..") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
		return fmt.Errorf("linux.sysctl: bad key %q", k)
	}
	ns := sysctlNamespace(k)
	if ns == "" {
		return fmt.Errorf("linux.sysctl %q: not namespaced, so it would change the host; only ipc (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), uts (kernel.hostname, kernel.domainname) and net.* sysctls may be set", k)
	}
	if plan.Creates(ns) {
		return nil
	}
	if !plan.Has(ns) {
		return fmt.Errorf("linux.sysctl %q: needs a %s namespace of the container's own", k, ns)
	}
	if err := checkNotHostNamespace(plan, ns); err != nil {
		return fmt.Errorf("linux.sysctl %q: %w", k, err)
	}
	return nil
}

// checkNotHostNamespace refuses a joined namespace that is the one this
// process (still the host's) is in.
func checkNotHostNamespace(plan namespaces.Plan, t specs.LinuxNamespaceType) error {
	for _, j := range plan.Join {
		if j.Type != t {
			continue
		}
		var joined, host unix.Stat_t
		if err := unix.Stat(j.Path, &joined); err != nil {
			return fmt.Errorf("%s namespace %s: %w", t, j.Path, err)
		}
		self := "/proc/self/ns/" + j.Proc
		if err := unix.Stat(self, &host); err != nil {
			return fmt.Errorf("%s namespace %s: %w", t, self, err)
		}
		if joined.Dev == host.Dev && joined.Ino == host.Ino {
			return fmt.Errorf("%s namespace %s is the host's", t, j.Path)
		}
	}
	return nil
}
