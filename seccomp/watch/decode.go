package watch

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Argument decoders for the report: what the kernel makes of a call's
// registers, for the calls whose arguments decide a profile's answer or
// tell people what the process wanted. Everything else is shown in hex.

// memReader reads n bytes of the calling process's memory at addr.
type memReader func(addr uint64, n int) ([]byte, error)

type flagName struct {
	bit  uint64
	name string
}

// Namespace flags; CLONE_NEWTIME (0x80) overlaps clone's exit-signal byte
// and is only a flag for unshare and clone3.
const (
	cloneNewTime = 0x80
	cloneNSMask  = 0x7e020000 // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET, Docker's mask
	csignal      = 0xff
)

var cloneFlags = []flagName{
	{0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"}, {0x800, "CLONE_SIGHAND"},
	{0x1000, "CLONE_PIDFD"}, {0x2000, "CLONE_PTRACE"}, {0x4000, "CLONE_VFORK"}, {0x8000, "CLONE_PARENT"},
	{0x10000, "CLONE_THREAD"}, {0x20000, "CLONE_NEWNS"}, {0x40000, "CLONE_SYSVSEM"}, {0x80000, "CLONE_SETTLS"},
	{0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"}, {0x400000, "CLONE_DETACHED"},
	{0x800000, "CLONE_UNTRACED"}, {0x1000000, "CLONE_CHILD_SETTID"}, {0x2000000, "CLONE_NEWCGROUP"},
	{0x4000000, "CLONE_NEWUTS"}, {0x8000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"},
	{0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"}, {0x80000000, "CLONE_IO"},
}

var signalNames = map[uint64]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL",
	10: "SIGUSR1", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 17: "SIGCHLD", 31: "SIGSYS"}

// formatFlags names the bits of v from names and shows what is left in hex.
func formatFlags(v uint64, names []flagName) string {
	if v == 0 {
		return "0x0"
	}
	var parts []string
	for _, f := range names {
		if v&f.bit == f.bit {
			parts = append(parts, f.name)
			v &^= f.bit
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

// CloneFlags names clone(2) flags, with the exit signal in the low byte.
func CloneFlags(v uint64) string {
	sig := v & csignal
	s := formatFlags(v&^csignal, cloneFlags)
	if sig == 0 {
		return s
	}
	name, ok := signalNames[sig]
	if !ok {
		name = "signal " + strconv.FormatUint(sig, 10)
	}
	if s == "0x0" {
		return name
	}
	return s + "|" + name
}

// UnshareFlags names unshare(2) and clone3 flags (CLONE_NEWTIME included).
func UnshareFlags(v uint64) string {
	return formatFlags(v, append([]flagName{{cloneNewTime, "CLONE_NEWTIME"}}, cloneFlags...))
}

// NamespaceFlags lists only the namespace-creating flags in v.
func NamespaceFlags(v uint64, withTime bool) []string {
	var out []string
	for _, f := range cloneFlags {
		if f.bit&cloneNSMask != 0 && v&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	if withTime && v&cloneNewTime != 0 {
		out = append(out, "CLONE_NEWTIME")
	}
	return out
}

var socketFamilies = map[uint64]string{0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 3: "AF_AX25", 4: "AF_IPX",
	5: "AF_APPLETALK", 6: "AF_NETROM", 7: "AF_BRIDGE", 8: "AF_ATMPVC", 9: "AF_X25", 10: "AF_INET6",
	11: "AF_ROSE", 12: "AF_DECnet", 13: "AF_NETBEUI", 14: "AF_SECURITY", 15: "AF_KEY", 16: "AF_NETLINK",
	17: "AF_PACKET", 18: "AF_ASH", 19: "AF_ECONET", 20: "AF_ATMSVC", 21: "AF_RDS", 22: "AF_SNA",
	23: "AF_IRDA", 24: "AF_PPPOX", 25: "AF_WANPIPE", 26: "AF_LLC", 27: "AF_IB", 28: "AF_MPLS",
	29: "AF_CAN", 30: "AF_TIPC", 31: "AF_BLUETOOTH", 32: "AF_IUCV", 33: "AF_RXRPC", 34: "AF_ISDN",
	35: "AF_PHONET", 36: "AF_IEEE802154", 37: "AF_CAIF", 38: "AF_ALG", 39: "AF_NFC", 40: "AF_VSOCK",
	41: "AF_KCM", 42: "AF_QIPCRTR", 43: "AF_SMC", 44: "AF_XDP", 45: "AF_MCTP"}

var socketTypes = map[uint64]string{1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
	5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET"}

// SocketFamily names an AF_* value.
func SocketFamily(v uint64) string {
	if n, ok := socketFamilies[v]; ok {
		return n
	}
	return strconv.FormatUint(v, 10)
}

func socketType(v uint64) string {
	base := v & 0xf
	s, ok := socketTypes[base]
	if !ok {
		s = strconv.FormatUint(base, 10)
	}
	rest := v &^ 0xf
	if rest&0x800 != 0 {
		s += "|SOCK_NONBLOCK"
		rest &^= 0x800
	}
	if rest&0x80000 != 0 {
		s += "|SOCK_CLOEXEC"
		rest &^= 0x80000
	}
	if rest != 0 {
		s += fmt.Sprintf("|%#x", rest)
	}
	return s
}

var ioctlNames = map[uint64]string{0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x5404: "TCSETSF",
	0x540b: "TCFLSH", 0x540e: "TIOCSCTTY", 0x540f: "TIOCGPGRP", 0x5410: "TIOCSPGRP", 0x5412: "TIOCSTI",
	0x5413: "TIOCGWINSZ", 0x5414: "TIOCSWINSZ", 0x541b: "FIONREAD", 0x541c: "TIOCLINUX", 0x5421: "FIONBIO",
	0x5422: "TIOCNOTTY", 0x5429: "TIOCGSID", 0x5450: "FIONCLEX", 0x5451: "FIOCLEX", 0x5452: "FIOASYNC",
	0x80045430: "TIOCGPTN", 0x40045431: "TIOCSPTLCK", 0x5441: "TIOCGPTPEER", 0x40049409: "FICLONE",
	0x80081272: "BLKGETSIZE64", 0xb701: "NS_GET_USERNS", 0xb702: "NS_GET_PARENT", 0xb703: "NS_GET_NSTYPE",
	0x80086601: "FS_IOC_GETFLAGS", 0x40086602: "FS_IOC_SETFLAGS"}

// IoctlRequest names an ioctl request, or spells out its _IOC fields.
func IoctlRequest(v uint64) string {
	v &= 0xffffffff // the kernel takes an unsigned int
	if n, ok := ioctlNames[v]; ok {
		return n
	}
	dir := [...]string{"_IO", "_IOW", "_IOR", "_IOWR"}[v>>30]
	typ, nr, size := (v>>8)&0xff, v&0xff, (v>>16)&0x3fff
	t := strconv.FormatUint(typ, 16)
	if typ >= 0x20 && typ < 0x7f {
		t = strconv.QuoteRune(rune(typ))
	}
	return fmt.Sprintf("%#x (%s(%s, %#x, %d bytes))", v, dir, t, nr, size)
}

var prctlOptions = map[uint64]string{1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 3: "PR_GET_DUMPABLE",
	4: "PR_SET_DUMPABLE", 7: "PR_GET_KEEPCAPS", 8: "PR_SET_KEEPCAPS", 15: "PR_SET_NAME", 16: "PR_GET_NAME",
	21: "PR_GET_SECCOMP", 22: "PR_SET_SECCOMP", 23: "PR_CAPBSET_READ", 24: "PR_CAPBSET_DROP",
	27: "PR_GET_SECUREBITS", 28: "PR_SET_SECUREBITS", 29: "PR_SET_TIMERSLACK", 35: "PR_SET_MM",
	36: "PR_SET_CHILD_SUBREAPER", 37: "PR_GET_CHILD_SUBREAPER", 38: "PR_SET_NO_NEW_PRIVS",
	39: "PR_GET_NO_NEW_PRIVS", 41: "PR_SET_THP_DISABLE", 42: "PR_GET_THP_DISABLE", 47: "PR_CAP_AMBIENT",
	59: "PR_SET_SYSCALL_USER_DISPATCH", 0x53564d41: "PR_SET_VMA"}

// PrctlOption names a PR_* option.
func PrctlOption(v uint64) string {
	if n, ok := prctlOptions[v&0xffffffff]; ok {
		return n
	}
	return strconv.FormatUint(v, 10)
}

var personaFlags = []flagName{{0x0020000, "UNAME26"}, {0x0040000, "ADDR_NO_RANDOMIZE"},
	{0x0100000, "FDPIC_FUNCPTRS"}, {0x0200000, "MMAP_PAGE_ZERO"}, {0x0400000, "ADDR_COMPAT_LAYOUT"},
	{0x0800000, "READ_IMPLIES_EXEC"}, {0x1000000, "ADDR_LIMIT_32BIT"}, {0x2000000, "SHORT_INODE"},
	{0x4000000, "WHOLE_SECONDS"}, {0x8000000, "STICKY_TIMEOUTS"}, {0x10000000, "ADDR_LIMIT_3GB"}}

// Personality names a personality(2) argument.
func Personality(v uint64) string {
	v &= 0xffffffff
	if v == 0xffffffff {
		return "0xffffffff (query)"
	}
	base := map[uint64]string{0: "PER_LINUX", 8: "PER_LINUX32"}[v&0xff]
	if base == "" {
		base = fmt.Sprintf("%#x", v&0xff)
	}
	if f := v &^ 0xff; f != 0 {
		return base + "|" + formatFlags(f, personaFlags)
	}
	return base
}

// pathArgs: which arguments of a call are paths (and dirfds, -1 for none),
// and which is a mode to print in octal.
type pathArgs struct {
	dirfd, path int
	dirfd2      int
	path2       int
	mode        int
}

var noArg = -1

func pa(dirfd, path, mode int) pathArgs { return pathArgs{dirfd, path, noArg, noArg, mode} }

var pathCalls = map[string]pathArgs{
	"openat": pa(0, 1, noArg), "openat2": pa(0, 1, noArg), "mkdirat": pa(0, 1, 2), "mknodat": pa(0, 1, 2),
	"fchmodat": pa(0, 1, 2), "fchmodat2": pa(0, 1, 2), "fchownat": pa(0, 1, noArg), "newfstatat": pa(0, 1, noArg),
	"fstatat64": pa(0, 1, noArg), "statx": pa(0, 1, noArg), "faccessat": pa(0, 1, noArg), "faccessat2": pa(0, 1, noArg),
	"unlinkat": pa(0, 1, noArg), "readlinkat": pa(0, 1, noArg), "utimensat": pa(0, 1, noArg),
	"execveat": pa(0, 1, noArg), "open_tree": pa(0, 1, noArg), "mount_setattr": pa(0, 1, noArg),
	"name_to_handle_at": pa(0, 1, noArg), "futimesat": pa(0, 1, noArg),
	"symlinkat": {noArg, 0, 1, 2, noArg}, "linkat": {0, 1, 2, 3, noArg}, "renameat": {0, 1, 2, 3, noArg},
	"renameat2": {0, 1, 2, 3, noArg}, "move_mount": {0, 1, 2, 3, noArg},
	"chmod": pa(noArg, 0, 1), "mkdir": pa(noArg, 0, 1), "mknod": pa(noArg, 0, 1), "creat": pa(noArg, 0, 1),
	"open": pa(noArg, 0, noArg), "chown": pa(noArg, 0, noArg), "lchown": pa(noArg, 0, noArg),
	"chown32": pa(noArg, 0, noArg), "lchown32": pa(noArg, 0, noArg), "rmdir": pa(noArg, 0, noArg),
	"unlink": pa(noArg, 0, noArg), "stat": pa(noArg, 0, noArg), "lstat": pa(noArg, 0, noArg),
	"stat64": pa(noArg, 0, noArg), "lstat64": pa(noArg, 0, noArg), "access": pa(noArg, 0, noArg),
	"execve": pa(noArg, 0, noArg), "truncate": pa(noArg, 0, noArg), "readlink": pa(noArg, 0, noArg),
	"statfs": pa(noArg, 0, noArg), "chdir": pa(noArg, 0, noArg), "chroot": pa(noArg, 0, noArg),
	"acct": pa(noArg, 0, noArg), "swapon": pa(noArg, 0, noArg), "swapoff": pa(noArg, 0, noArg),
	"umount2": pa(noArg, 0, noArg), "umount": pa(noArg, 0, noArg), "fsopen": pa(noArg, 0, noArg),
	"rename": {noArg, 0, noArg, 1, noArg}, "link": {noArg, 0, noArg, 1, noArg},
	"symlink": {noArg, 0, noArg, 1, noArg}, "pivot_root": {noArg, 0, noArg, 1, noArg},
	"mount":  {noArg, 0, noArg, 1, noArg},
	"fchmod": {noArg, noArg, noArg, noArg, 1},
}

// noArgCalls take no arguments: their registers are whatever was left there.
var noArgCalls = map[string]bool{"getpid": true, "getppid": true, "getuid": true, "geteuid": true,
	"getgid": true, "getegid": true, "gettid": true, "sched_yield": true, "pause": true, "sync": true,
	"setsid": true, "getpgrp": true, "vhangup": true, "munlockall": true, "inotify_init": true,
	"fork": true, "vfork": true, "restart_syscall": true, "rt_sigreturn": true, "getuid32": true,
	"geteuid32": true, "getgid32": true, "getegid32": true}

const atFDCWD = 0xffffff9c // AT_FDCWD (-100) as the low 32 bits the kernel reads

// readCString reads a NUL-terminated string of at most 4096 bytes.
func readCString(mem memReader, addr uint64) (string, bool) {
	if mem == nil || addr == 0 {
		return "", false
	}
	var out []byte
	for len(out) < 4096 {
		chunk, err := mem(addr+uint64(len(out)), 256)
		if err != nil || len(chunk) == 0 {
			break
		}
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			return string(append(out, chunk[:i]...)), true
		}
		out = append(out, chunk...)
	}
	if len(out) > 0 {
		return string(out) + "...", true
	}
	return "", false
}

func dirfdString(v uint64) string {
	if v&0xffffffff == atFDCWD {
		return "AT_FDCWD"
	}
	return strconv.FormatInt(int64(int32(v)), 10)
}

// DecodeCall renders a call the way strace would, for the arguments
// minirun knows, and returns the grouping key: the arguments whose value
// changes the profile's answer (flags, families, requests, options),
// "" for calls grouped by name alone.
func DecodeCall(name string, args [6]uint64, mem memReader) (text, key string) {
	show := func(parts ...string) string { return name + "(" + strings.Join(parts, ", ") + ")" }
	switch name {
	case "clone":
		return show(CloneFlags(args[0])), fmt.Sprintf("%#x", args[0])
	case "unshare":
		return show(UnshareFlags(args[0])), fmt.Sprintf("%#x", args[0])
	case "setns":
		return show(strconv.FormatInt(int64(int32(args[0])), 10), UnshareFlags(args[1])), fmt.Sprintf("%#x", args[1])
	case "clone3":
		if b, err := readMem(mem, args[0], 8); err == nil {
			f := leUint64(b)
			return show("{flags=" + UnshareFlags(f) + "}"), fmt.Sprintf("%#x", f)
		}
		return show(fmt.Sprintf("%#x", args[0])), ""
	case "socket":
		return show(SocketFamily(args[0]), socketType(args[1]), strconv.FormatUint(args[2], 10)),
			fmt.Sprintf("%d/%d", args[0], args[1]&0xf)
	case "ioctl":
		return show(strconv.FormatInt(int64(int32(args[0])), 10), IoctlRequest(args[1])), fmt.Sprintf("%#x", args[1]&0xffffffff)
	case "prctl":
		return show(PrctlOption(args[0])), fmt.Sprintf("%d", args[0]&0xffffffff)
	case "personality":
		return show(Personality(args[0])), fmt.Sprintf("%#x", args[0]&0xffffffff)
	}
	if p, ok := pathCalls[name]; ok {
		var parts []string
		add := func(dirfd, path int) {
			if dirfd >= 0 {
				parts = append(parts, dirfdString(args[dirfd]))
			}
			if path >= 0 {
				if s, ok := readCString(mem, args[path]); ok {
					parts = append(parts, strconv.Quote(s))
				} else {
					parts = append(parts, fmt.Sprintf("%#x", args[path]))
				}
			}
		}
		add(p.dirfd, p.path)
		if p.path2 >= 0 {
			add(p.dirfd2, p.path2)
		}
		if p.mode >= 0 {
			if p.path < 0 {
				parts = append(parts, strconv.FormatInt(int64(int32(args[0])), 10))
			}
			parts = append(parts, fmt.Sprintf("%#o", args[p.mode]&0o7777))
		}
		return show(parts...), ""
	}
	if noArgCalls[name] {
		return name + "()", ""
	}
	// Unknown meaning: the first three registers, as far as they are set.
	n := 1
	for i := 2; i >= 1; i-- {
		if args[i] != 0 {
			n = i + 1
			break
		}
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%#x", args[i])
	}
	return show(parts...), ""
}

func readMem(mem memReader, addr uint64, n int) ([]byte, error) {
	if mem == nil {
		return nil, fmt.Errorf("no memory reader")
	}
	b, err := mem(addr, n)
	if err == nil && len(b) < n {
		err = fmt.Errorf("short read")
	}
	return b, err
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// sortedKeys is for tables printed in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
