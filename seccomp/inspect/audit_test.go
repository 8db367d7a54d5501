package inspect

import (
	"slices"
	"testing"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

func auditOf(t *testing.T, body string) []Finding {
	t.Helper()
	s, err := seccomp.ParseProfile([]byte(body), dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Audit(s)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func has(fs []Finding, check, syscall, arch string) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Check == check && f.Syscall == syscall && f.Arch == arch })
}

const allArches = `"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"]`

func TestAuditCleanProfile(t *testing.T) {
	fs := auditOf(t, `{"defaultAction":"SCMP_ACT_ERRNO",`+allArches+`,"syscalls":[
		{"names":["read","write","exit_group","execve","openat","close","futex"],"action":"SCMP_ACT_ALLOW"}]}`)
	if len(fs) != 0 {
		t.Errorf("findings for a tight profile: %v", fs)
	}
}

func TestAuditCraftedProfiles(t *testing.T) {
	cases := []struct {
		name, body           string
		check, syscall, arch string
	}{
		{"socketcall around socket rules", `{"defaultAction":"SCMP_ACT_ERRNO",` + allArches + `,"syscalls":[
			{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
			{"names":["socketcall"],"action":"SCMP_ACT_ALLOW"}]}`, "abi-bypass", "socketcall", "x86"},
		{"execveat", `{"defaultAction":"SCMP_ACT_ALLOW",` + allArches + `,"syscalls":[{"names":["execve"],"action":"SCMP_ACT_ERRNO"}]}`, "execveat", "execveat", "x86_64"},
		{"openat2", `{"defaultAction":"SCMP_ACT_ALLOW",` + allArches + `,"syscalls":[{"names":["openat"],"action":"SCMP_ACT_ERRNO"}]}`, "openat2", "openat2", "x86_64"},
		{"openat with arg rule", `{"defaultAction":"SCMP_ACT_ERRNO",` + allArches + `,"syscalls":[
			{"names":["openat"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":3,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
			{"names":["openat2"],"action":"SCMP_ACT_ALLOW"}]}`, "openat2", "openat2", "x86_64"},
		{"io_uring", `{"defaultAction":"SCMP_ACT_ERRNO",` + allArches + `,"syscalls":[{"names":["io_uring_setup","io_uring_enter"],"action":"SCMP_ACT_ALLOW"}]}`, "io_uring", "io_uring_setup", "x86_64"},
		{"userfaultfd", `{"defaultAction":"SCMP_ACT_ERRNO",` + allArches + `,"syscalls":[{"names":["userfaultfd","keyctl"],"action":"SCMP_ACT_ALLOW"}]}`, "dangerous", "userfaultfd", "x86_64"},
		{"modules", `{"defaultAction":"SCMP_ACT_ERRNO",` + allArches + `,"syscalls":[{"names":["finit_module"],"action":"SCMP_ACT_ALLOW"}]}`, "kernel-module", "finit_module", "x86_64"},
		{"clone namespaces", `{"defaultAction":"SCMP_ACT_ERRNO",` + allArches + `,"syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW"}]}`, "namespaces", "clone", "x86_64"},
		{"pivot_root", `{"defaultAction":"SCMP_ACT_ERRNO",` + allArches + `,"syscalls":[{"names":["pivot_root"],"action":"SCMP_ACT_ALLOW"}]}`, "mount", "pivot_root", "x86_64"},
		{"unknown allowed", `{"defaultAction":"SCMP_ACT_ALLOW",` + allArches + `,"syscalls":[{"names":["kexec_load"],"action":"SCMP_ACT_ERRNO"}]}`, "unknown-syscalls", "syscall_1023", "x86_64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := auditOf(t, c.body)
			if !has(fs, c.check, c.syscall, c.arch) {
				t.Errorf("want %s %s [%s], got %v", c.check, c.syscall, c.arch, fs)
			}
		})
	}
}

// The ABI check, with a program whose x86 branch differs from x86_64's:
// built by hand, since one profile names calls for all its ABIs at once.
func TestAuditABIBypass(t *testing.T) {
	s, err := seccomp.ParseProfile([]byte(`{"defaultAction":"SCMP_ACT_ERRNO",`+allArches+`,"syscalls":[
		{"names":["read","unshare"],"action":"SCMP_ACT_ALLOW"}]}`), dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	p, err := seccomp.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	// Put a stub in front that denies unshare on x86_64 only, as a profile
	// compiled by a tool that forgot the compat ABIs would.
	var as bpf.Asm
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffArch)
	as.JumpIf(bpf.OpJeq, 0xc000003e, "native")
	as.Jump("body")
	as.Label("native")
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffNr)
	as.Emit(bpf.OpJeq, 0, 1, 272) // unshare on x86_64
	as.Emit(bpf.OpRet, 0, 0, seccomp.RetErrno|1)
	as.Label("body")
	stub, err := as.Link()
	if err != nil {
		t.Fatal(err)
	}
	q := *p
	q.Instructions = append(stub, p.Instructions...)
	fs, err := audit(&q, s)
	if err != nil {
		t.Fatal(err)
	}
	if !has(fs, "abi-bypass", "unshare", "x86") || !has(fs, "abi-bypass", "unshare", "x32") {
		t.Errorf("abi bypass not found: %v", fs)
	}
	if has(fs, "abi-bypass", "read", "x86") {
		t.Errorf("read is allowed everywhere: %v", fs)
	}
}
