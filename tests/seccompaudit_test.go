package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `seccomp audit` on crafted profiles: exit 0 and "no findings" for a tight
// one, exit 1 and one line per finding otherwise, JSON for tools. It needs
// no root: it only compiles and evaluates.
func TestSeccompAuditCLI(t *testing.T) {
	needMinirun(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	arches := `"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"]`
	tight := write("tight.json", `{"defaultAction":"SCMP_ACT_ERRNO",`+arches+`,"syscalls":[{"names":["read","write","exit_group","execve"],"action":"SCMP_ACT_ALLOW"}]}`)
	r := runMinirun(t, "", "seccomp", "audit", tight)
	if r.code != 0 || r.stdout != "no findings\n" {
		t.Fatalf("tight profile: %+v", r)
	}

	loose := write("loose.json", `{"defaultAction":"SCMP_ACT_ALLOW",`+arches+`,"syscalls":[
		{"names":["execve","openat"],"action":"SCMP_ACT_ERRNO"}]}`)
	r = runMinirun(t, "", "seccomp", "audit", loose)
	if r.code != 1 {
		t.Fatalf("loose profile: %+v", r)
	}
	for _, want := range []string{
		"execveat         execveat [x86_64] ALLOW: execve is denied (ERRNO(EPERM)); execveat runs a program",
		"openat2          openat2 [x86_64] ALLOW: openat is denied (ERRNO(EPERM)); openat2 opens files",
		"io_uring         io_uring_setup [x86_64] ALLOW: ",
		"dangerous        userfaultfd [x86_64] ALLOW: ",
		"dangerous        bpf [x86_64] ALLOW: ",
		"kernel-module    init_module [x86_64] ALLOW: ",
		"namespaces       unshare [x86_64] ALLOW: allowed with CLONE_NEWUSER",
		"mount            pivot_root [x86_64] ALLOW: ",
		"unknown-syscalls syscall_1023 [x86] ALLOW: ",
	} {
		mustContain(t, "loose audit", r.stdout, want)
	}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if !strings.Contains(l, ": ") {
			t.Errorf("finding without a reason: %q", l)
		}
	}

	r = runMinirun(t, "", "seccomp", "audit", loose, "--json")
	var fs []struct{ Check, Syscall, Arch, Action, Reason string }
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil || r.code != 1 || len(fs) < 9 {
		t.Fatalf("json: %v %+v", err, r)
	}

	// Docker's default: i386's socketcall goes around the socket family
	// rules, and ptrace is allowed; with CAP_SYS_ADMIN, namespaces and mounts.
	r = runMinirun(t, "", "seccomp", "audit", "default")
	mustContain(t, "default", r.stdout, "abi-bypass       socketcall [x86] ALLOW: socket is allowed only with argument rules on x86_64")
	mustContain(t, "default", r.stdout, "dangerous        ptrace [x86_64] ALLOW")
	if strings.Contains(r.stdout, "namespaces") || r.code != 1 {
		t.Errorf("default without CAP_SYS_ADMIN: %+v", r)
	}
	r = runMinirun(t, "", "seccomp", "audit", "default", "--cap-add", "SYS_ADMIN")
	mustContain(t, "default+SYS_ADMIN", r.stdout, "namespaces       clone3 [x86_64] ALLOW")
	mustContain(t, "default+SYS_ADMIN", r.stdout, "mount            mount [x86_64] ALLOW")

	r = runMinirun(t, "", "seccomp", "audit", filepath.Join(dir, "missing.json"))
	checkFailure(t, r, exitDocker, "seccomp audit", "missing.json")
}
