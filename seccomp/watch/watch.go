package watch

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// A Watcher supervises a container's seccomp notifications from the
// runtime's parent process, on the host, for the denial report or for the
// recorder. See doc.go for how each rewrites the program and why.
type Watcher struct {
	record bool
	src    *Source          // report: the profile as written, for attribution
	orig   *seccomp.Program // report: the program as compiled, to find each call's action

	initPid   int
	rtDev     uint64 // the runtime's binary: calls made from it are the init's own
	rtIno     uint64
	rtKnown   bool
	container bool // a call from the container was seen: the runtime has exec'd

	kmsg    int // /dev/kmsg, opened at start and read at exit for the kernel's kill records; -1 if none
	started time.Time

	mu       sync.Mutex
	denials  map[string]*Denial
	order    []*Denial
	hostPids map[int]bool
	kinds    map[string]int // arch/name -> kinds of refusal listed
	more     *More          // refusals past the caps, counted
	rec      *observations
	serveErr error
	done     chan struct{}
	serving  bool
}

// ErrListenerInUse: the profile already hands its notifications to an agent.
var ErrListenerInUse = errors.New("the profile already uses SCMP_ACT_NOTIFY with listenerPath, and one filter has one listener: its agent gets the notifications")

// NewReport watches for the calls src refuses.
func NewReport(src *Source) *Watcher {
	return &Watcher{src: src, denials: map[string]*Denial{}, hostPids: map[int]bool{}, done: make(chan struct{})}
}

// NewRecorder records every call the container makes.
func NewRecorder() *Watcher {
	return &Watcher{record: true, rec: newObservations(), denials: map[string]*Denial{}, hostPids: map[int]bool{}, done: make(chan struct{})}
}

// Recording reports whether w is a recorder.
func (w *Watcher) Recording() bool { return w.record }

// Program is the filter the init loads instead of p (nil: no profile).
// For the report, p with each ERRNO return turned into NOTIFY. For the
// recorder, a filter that notifies what p allows, after a stub letting
// through the calls the runtime makes after loading it (required, on the
// native ABI), which every profile that starts must allow anyway.
func (w *Watcher) Program(p *seccomp.Program, required []string) (*seccomp.Program, error) {
	if p != nil && p.Listener {
		return nil, ErrListenerInUse
	}
	if !w.record {
		if p == nil {
			return nil, errors.New("there is no profile (seccomp is unconfined), so nothing is refused")
		}
		w.orig = p
		q := rewrite(p, func(k uint32) uint32 {
			if k&unix.SECCOMP_RET_ACTION_FULL == seccomp.RetErrno {
				return seccomp.RetUserNotif
			}
			return k
		})
		guard, err := listenerGuard(p)
		if err != nil {
			return nil, err
		}
		q.Instructions = append(guard, q.Instructions...)
		if len(q.Instructions) > 4096 {
			return nil, fmt.Errorf("report filter: %d instructions, the kernel's limit is 4096", len(q.Instructions))
		}
		return q, nil
	}
	if p == nil {
		var err error
		if p, err = allowAll(); err != nil {
			return nil, err
		}
	}
	body := rewrite(p, func(k uint32) uint32 {
		switch k & unix.SECCOMP_RET_ACTION_FULL {
		case seccomp.RetAllow, seccomp.RetLog:
			return seccomp.RetUserNotif
		}
		return k
	})
	stub, err := allowStub(append(slices.Clone(required), kernelDriven...))
	if err != nil {
		return nil, err
	}
	body.Instructions = append(stub, body.Instructions...)
	if len(body.Instructions) > 4096 {
		return nil, fmt.Errorf("recording filter: %d instructions, the kernel's limit is 4096", len(body.Instructions))
	}
	w.orig = p
	return body, nil
}

// rewrite copies p with each return value passed through f, as a
// program that asks for a listener.
func rewrite(p *seccomp.Program, f func(uint32) uint32) *seccomp.Program {
	q := *p
	q.Instructions = make([]unix.SockFilter, len(p.Instructions))
	for i, ins := range p.Instructions {
		if ins.Code == bpf.OpRet {
			ins.K = f(ins.K)
		}
		q.Instructions[i] = ins
	}
	q.Listener, q.Cached = true, false
	return &q
}

// allowAll is the program of an empty allow-everything profile over the
// native ABI and its 32-bit ones (x86_64: x86 and x32), for recording an
// unconfined container.
func allowAll() (*seccomp.Program, error) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	if bpf.Native().Spec == specs.ArchX86_64 {
		s.Architectures = []specs.Arch{specs.ArchX86, specs.ArchX32}
	}
	return seccomp.Compile(s)
}

// allowStub lets the native ABI's required calls through in the kernel.
func allowStub(required []string) ([]unix.SockFilter, error) {
	a := bpf.Native()
	var as bpf.Asm
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffArch)
	as.JumpIf(bpf.OpJeq, a.Audit, "native")
	as.Jump("body")
	as.Label("native")
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffNr)
	if a.Spec == "SCMP_ARCH_X86_64" {
		as.JumpIf(bpf.OpJset, bpf.X32Bit, "body")
	}
	for _, name := range required {
		nr, err := libseccomp.GetSyscallFromName(name)
		if err != nil || nr < 0 {
			continue
		}
		as.Emit(bpf.OpJeq, 0, 1, uint32(nr))
		as.Emit(bpf.OpRet, 0, 0, seccomp.RetAllow)
	}
	as.Label("body")
	return as.Link()
}

// Started records the init, before it has done anything: its binary is
// the runtime's, so calls made from it are not the container's.
func (w *Watcher) Started(pid int) {
	w.initPid = pid
	w.started = time.Now()
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/exe", pid), &st); err == nil {
		w.rtDev, w.rtIno, w.rtKnown = st.Dev, st.Ino, true
	}
	// The kernel logs seccomp kills (and only kills, unless a filter asks
	// for more) as audit records; read from here on at exit.
	w.kmsg = -1
	if fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
		if _, err := unix.Seek(fd, 0, 2); err == nil {
			w.kmsg = fd
		} else {
			unix.Close(fd)
		}
	}
}

// Serving reports whether a listener is being served.
func (w *Watcher) Serving() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.serving
}

// IsListener reports whether fd is a seccomp notify fd.
func IsListener(fd int) bool {
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	return err == nil && target == "anon_inode:seccomp notify"
}

// Serve answers the notifications on fd until no process is left under
// the filter. It takes the fd and returns at once.
func (w *Watcher) Serve(fd int) {
	w.mu.Lock()
	if w.serving {
		w.mu.Unlock()
		unix.Close(fd)
		return
	}
	w.serving = true
	w.mu.Unlock()
	go func() {
		defer close(w.done)
		// One OS thread, woken by the kernel and woken straight back.
		runtime.LockOSThread()
		l := listener(fd)
		defer unix.Close(fd)
		// With the synchronous mode (6.6) the receive itself waits: the
		// kernel's wait there also ends, with ENOENT, when the filter's
		// last user is gone, which a poll then tells apart from a call
		// withdrawn by a signal. Before 6.6, poll first, then receive.
		blocking := l.syncWakeup() == nil
		var n notif
		for {
			if !blocking {
				if err := l.wait(); err != nil {
					if !errors.Is(err, errHup) {
						w.setErr(err)
					}
					return
				}
			}
			if err := l.recv(&n); err != nil {
				if errors.Is(err, unix.ENOENT) && blocking && l.hungUp() {
					return
				}
				if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINTR) {
					continue
				}
				w.setErr(fmt.Errorf("seccomp listener: receive: %w", err))
				return
			}
			if err := w.handle(l, &n); err != nil {
				w.setErr(err)
				return
			}
		}
	}()
}

func (w *Watcher) setErr(err error) {
	w.mu.Lock()
	if w.serveErr == nil {
		w.serveErr = err
	}
	w.mu.Unlock()
}

// fromRuntime tells the init's own calls (after the filter, before
// execve) from the container's: they come from the runtime's binary.
// Once one call came from elsewhere the init has exec'd, and its other
// threads, with any call they had pending, died in the exec.
func (w *Watcher) fromRuntime(pid uint32) bool {
	if w.container || !w.rtKnown {
		return false
	}
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/exe", pid), &st); err != nil {
		return true // gone: a thread killed by the exec
	}
	if st.Dev == w.rtDev && st.Ino == w.rtIno {
		return true
	}
	w.container = true
	return false
}

func (w *Watcher) handle(l listener, n *notif) error {
	if w.record {
		return w.handleRecord(l, n)
	}
	a, ok := archForData(n.Data.Arch, uint32(n.Data.Nr))
	ret := uint32(seccomp.RetErrno | uint32(unix.EPERM))
	if ok {
		if r, err := bpf.Run(w.orig.Instructions, a, uint32(n.Data.Nr), n.Data.Args); err == nil {
			ret = r
		}
	}
	if ret&unix.SECCOMP_RET_ACTION_FULL != seccomp.RetErrno {
		// Only ERRNO returns were rewritten; anything else is the kernel's.
		return l.cont(n.ID)
	}
	if !w.fromRuntime(n.Pid) {
		w.noteDenial(l, n, a, ret)
	}
	return l.fail(n.ID, ret&unix.SECCOMP_RET_DATA)
}

// archForData finds the ABI of a call: seccomp_data.arch, and on x86_64
// the x32 bit of the number.
func archForData(audit, nr uint32) (bpf.Arch, bool) {
	a, ok := bpf.ByAudit(audit)
	if ok && a.Spec == "SCMP_ARCH_X86_64" && nr&bpf.X32Bit != 0 {
		return bpf.Lookup("x32")
	}
	return a, ok
}

// syscallName names nr for the ABI, or "syscall_N".
func syscallName(a bpf.Arch, nr uint32) string {
	if name := knownSyscallName(a, nr); name != "" {
		return name
	}
	return fmt.Sprintf("syscall_%d", nr&^a.NrBit)
}

// knownSyscallName is libseccomp's name for nr on the ABI, or "".
func knownSyscallName(a bpf.Arch, nr uint32) string {
	if sa, err := a.ScmpArch(); err == nil {
		if name, err := libseccomp.ScmpSyscall(int32(nr)).GetNameByArch(sa); err == nil {
			return name
		}
	}
	return ""
}

// Bounds on what the report keeps, so a container can't grow the
// supervisor (which runs on the host, often as root) by varying its
// refused calls: each kind costs a decoded call, its process's identity and
// later a rule's attribution, so the kinds are capped, in all and per
// syscall (so one flood does not crowd out the rest), and calls past the
// caps are only counted.
const (
	MaxDenialKinds           = 1024
	MaxDenialKindsPerSyscall = 64
	// maxMoreSyscalls: the count of unlisted calls is kept by syscall for
	// this many names; calls of further names (a container can make up
	// numbers without end) are counted together.
	maxMoreSyscalls = 64
	// maxHostPids bounds the pids remembered to tell the container's
	// kill records from others'. Past it, a kill of a pid not remembered
	// is not listed; the init's own is still found by its pid, or by time.
	maxHostPids = 4096
)

// More counts the refused calls the report does not list one by one.
type More struct {
	Calls    int            `json:"calls"`
	Syscalls map[string]int `json:"syscalls,omitempty"` // calls by syscall, for up to maxMoreSyscalls names
	Other    int            `json:"other,omitempty"`    // calls of names past those
}

func (m *More) add(name string, calls int) {
	m.Calls += calls
	if _, ok := m.Syscalls[name]; ok || len(m.Syscalls) < maxMoreSyscalls {
		if m.Syscalls == nil {
			m.Syscalls = map[string]int{}
		}
		m.Syscalls[name] += calls
		return
	}
	m.Other += calls
}

// noteDenial counts a refused call; the first of its kind is decoded,
// with its process read from /proc while the call is still pending.
func (w *Watcher) noteDenial(l listener, n *notif, a bpf.Arch, ret uint32) {
	name := syscallName(a, uint32(n.Data.Nr))
	k := w.src.DecisionKey(a.Short(), name, n.Data.Args) + "/" + strconv.FormatUint(uint64(ret), 16)
	w.mu.Lock()
	if len(w.hostPids) < maxHostPids {
		w.hostPids[int(n.Pid)] = true
	}
	if d := w.denials[k]; d != nil {
		d.Count++
		if !d.ArgsVaried && !slices.Equal(d.Args, n.Data.Args[:]) {
			d.ArgsVaried = true
		}
		w.mu.Unlock()
		return
	}
	room := w.roomFor(a.Short(), name)
	w.mu.Unlock()
	if !room {
		return
	}
	mem := procMem(int(n.Pid))
	text, _ := DecodeCall(name, n.Data.Args, mem)
	d := &Denial{Arch: a.Short(), Syscall: name, Nr: int(n.Data.Nr &^ int32(a.NrBit)), Args: append([]uint64(nil), n.Data.Args[:]...), Call: text,
		Count: 1, HostPid: int(n.Pid), Action: seccomp.ActionString(ret), Via: "notification", ret: ret}
	d.Pid, d.Exe = procIdentity(int(n.Pid))
	if !l.valid(n.ID) {
		// The thread died while it was read: its pid may name another now.
		d.Pid, d.Exe, d.Call = 0, "", name+"(...)"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Another notification of the same kind may have been recorded while
	// this one was decoded: count this call there. The place roomFor took
	// for it stays taken, which only makes the cap a little early.
	if prev := w.denials[k]; prev != nil {
		prev.Count++
		return
	}
	w.denials[k] = d
	w.order = append(w.order, d)
}

// roomFor takes a place for a new kind of refused call of name on arch,
// or counts the call as one more not listed. With w.mu held.
func (w *Watcher) roomFor(arch, name string) bool {
	sk := arch + "/" + name
	if len(w.order) >= MaxDenialKinds || w.kinds[sk] >= MaxDenialKindsPerSyscall {
		if w.more == nil {
			w.more = &More{}
		}
		w.more.add(name, 1)
		return false
	}
	if w.kinds == nil {
		w.kinds = map[string]int{}
	}
	w.kinds[sk]++ // at most MaxDenialKinds names: one is added only with room
	return true
}

// procMem reads a process's memory through /proc/PID/mem.
func procMem(pid int) memReader {
	return func(addr uint64, n int) ([]byte, error) {
		f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b := make([]byte, n)
		m, err := f.ReadAt(b, int64(addr))
		if m > 0 {
			return b[:m], nil
		}
		return nil, err
	}
}

// procIdentity is a host pid's pid in its own (the container's) pid
// namespace and its executable.
func procIdentity(pid int) (int, string) {
	nspid := pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
				f := strings.Fields(v)
				if len(f) > 0 {
					nspid, _ = strconv.Atoi(f[len(f)-1])
				}
			}
		}
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		exe = ""
	}
	return nspid, exe
}

// Exited finishes the watch once the init is gone: it waits (briefly) for
// the listener to see the last process leave, and looks for the calls the
// kernel answered itself with a kill.
func (w *Watcher) Exited(ws syscall.WaitStatus) error {
	w.mu.Lock()
	serving := w.serving
	w.mu.Unlock()
	if serving {
		select {
		case <-w.done:
		case <-time.After(2 * time.Second):
			// A process outside the init's pid namespace may still run
			// under the filter; report what was seen.
		}
	}
	if !w.record {
		w.findKills(ws)
	}
	if w.kmsg > 0 {
		unix.Close(w.kmsg)
		w.kmsg = -1
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.serveErr
}
