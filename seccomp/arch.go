package seccomp

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// archInfo describes what the BPF stub and the interpreter need to know about
// one seccomp architecture.
type archInfo struct {
	spec      specs.Arch
	scmp      string // libseccomp's name
	audit     uint32 // AUDIT_ARCH_* as seen in seccomp_data.arch
	nrBit     uint32 // bit the kernel sets in nr for this ABI (x32)
	bigEndian bool
}

// Values of AUDIT_ARCH_* from linux/audit.h: EM_* | __AUDIT_ARCH_64BIT(0x80000000) | __AUDIT_ARCH_LE(0x40000000).
var archTable = []archInfo{
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

// lookupArch accepts the OCI name ("SCMP_ARCH_X86_64"), the short form
// ("x86_64"), libseccomp's name ("amd64") or a GOARCH-style name.
func lookupArch(name string) (archInfo, bool) {
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
	for _, a := range archTable {
		if a.scmp == n || strings.ToLower(strings.TrimPrefix(string(a.spec), "SCMP_ARCH_")) == n {
			return a, true
		}
	}
	return archInfo{}, false
}

// scmpArch converts to libseccomp's type.
func (a archInfo) scmpArch() (libseccomp.ScmpArch, error) {
	name := a.scmp
	if name == "loong64" {
		name = "loongarch64"
	}
	sa, err := libseccomp.GetArchFromString(name)
	if err != nil {
		return 0, fmt.Errorf("libseccomp arch %s: %w", name, err)
	}
	return sa, nil
}

// short is the name people type on the command line.
func (a archInfo) short() string {
	return strings.ToLower(strings.TrimPrefix(string(a.spec), "SCMP_ARCH_"))
}

// nativeArch is the arch this binary runs as.
func nativeArch() archInfo {
	goarch := runtime.GOARCH
	switch goarch {
	case "amd64":
		goarch = "x86_64"
	case "386":
		goarch = "x86"
	}
	a, _ := lookupArch(goarch)
	return a
}

// NativeArch names the arch this binary runs as ("x86_64", "aarch64", ...).
func NativeArch() string { return nativeArch().short() }
