package bpf

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// Arch describes what the BPF stub and the interpreter need to know about
// one seccomp architecture.
type Arch struct {
	Spec      specs.Arch
	Scmp      string // libseccomp's name
	Audit     uint32 // AUDIT_ARCH_* as seen in seccomp_data.arch
	NrBit     uint32 // bit the kernel sets in nr for this ABI (x32)
	BigEndian bool
}

// Table lists the arches a profile may name.
// Values of AUDIT_ARCH_* from linux/audit.h: EM_* | __AUDIT_ARCH_64BIT(0x80000000) | __AUDIT_ARCH_LE(0x40000000).
var Table = []Arch{
	{specs.ArchX86_64, "amd64", 0xc000003e, 0, false},
	{specs.ArchX86, "x86", 0x40000003, 0, false},
	{specs.ArchX32, "x32", 0xc000003e, 0x40000000, false},
	{specs.ArchAARCH64, "arm64", 0xc00000b7, 0, false},
	{specs.ArchARM, "arm", 0x40000028, 0, false},
	{specs.ArchRISCV64, "riscv64", 0xc00000f3, 0, false},
	{specs.ArchPPC64LE, "ppc64le", 0xc0000015, 0, false},
	{specs.ArchPPC64, "ppc64", 0x80000015, 0, true},
	{specs.ArchPPC, "ppc", 0x00000014, 0, true},
	{specs.ArchS390X, "s390x", 0x80000016, 0, true},
	{specs.ArchS390, "s390", 0x00000016, 0, true},
	{specs.ArchMIPS, "mips", 0x00000008, 0, true},
	{specs.ArchMIPSEL, "mipsel", 0x40000008, 0, false},
	{specs.ArchMIPS64, "mips64", 0x80000008, 0, true},
	{specs.ArchMIPSEL64, "mipsel64", 0xc0000008, 0, false},
	{specs.ArchMIPS64N32, "mips64n32", 0xa0000008, 0, true},
	{specs.ArchMIPSEL64N32, "mipsel64n32", 0xe0000008, 0, false},
	{specs.ArchLOONGARCH64, "loong64", 0xc0000102, 0, false},
	{specs.ArchPARISC, "parisc", 0x0000000f, 0, true},
	{specs.ArchPARISC64, "parisc64", 0x8000000f, 0, true},
}

// Lookup accepts the OCI name ("SCMP_ARCH_X86_64"), the short form
// ("x86_64"), libseccomp's name ("amd64") or a GOARCH-style name.
func Lookup(name string) (Arch, bool) {
	n := strings.ToLower(strings.TrimPrefix(strings.ToUpper(name), "SCMP_ARCH_"))
	switch n {
	case "i386", "386":
		n = "x86"
	case "x86_64":
		n = "amd64"
	case "aarch64":
		n = "arm64"
	case "loongarch64":
		n = "loong64"
	}
	for _, a := range Table {
		if a.Scmp == n || strings.ToLower(strings.TrimPrefix(string(a.Spec), "SCMP_ARCH_")) == n {
			return a, true
		}
	}
	return Arch{}, false
}

// ScmpArch converts to libseccomp's type.
func (a Arch) ScmpArch() (libseccomp.ScmpArch, error) {
	name := a.Scmp
	if name == "loong64" {
		name = "loongarch64"
	}
	sa, err := libseccomp.GetArchFromString(name)
	if err != nil {
		return 0, fmt.Errorf("libseccomp arch %s: %w", name, err)
	}
	return sa, nil
}

// Short is the name people type on the command line.
func (a Arch) Short() string {
	return strings.ToLower(strings.TrimPrefix(string(a.Spec), "SCMP_ARCH_"))
}

// Native is the arch this binary runs as.
func Native() Arch {
	goarch := runtime.GOARCH
	switch goarch {
	case "amd64":
		goarch = "x86_64"
	case "386":
		goarch = "x86"
	}
	a, _ := Lookup(goarch)
	return a
}
