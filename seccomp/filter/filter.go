// Package filter is a compiled seccomp filter as a container's init
// receives and loads it: the BPF program and how to load it. It has no
// cgo, so an init that imports it can be a pure Go program; compiling a
// profile (libseccomp, cgo) stays in package seccomp, in the parent.
package filter

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Filter is a BPF program for seccomp(2).
type Filter struct {
	Instructions []unix.SockFilter
	Flags        uint // SECCOMP_FILTER_FLAG_* the profile asked for
	Listener     bool // a NOTIFY rule exists: Load asks for a listener fd
	Rules        int  // how many rules it came from, for --debug traces
}

// Load installs the filter on the calling process with seccomp(2). TSYNC puts
// it on every thread of the Go runtime, not only the calling one. Load never
// sets no_new_privs: the caller either has (and then the kernel allows any
// filter) or still holds CAP_SYS_ADMIN. It returns the listener fd, or -1.
func (f *Filter) Load() (int, error) {
	if len(f.Instructions) == 0 {
		return -1, fmt.Errorf("seccomp load: empty program")
	}
	flags := f.Flags | unix.SECCOMP_FILTER_FLAG_TSYNC
	if f.Listener {
		// TSYNC and NEW_LISTENER both want the return value (a thread id
		// vs. an fd); TSYNC_ESRCH makes a TSYNC failure an ESRCH error so
		// the return value can be the fd.
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	prog := unix.SockFprog{
		Len:    uint16(len(f.Instructions)),
		Filter: &f.Instructions[0],
	}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(f)
	if errno != 0 {
		return -1, fmt.Errorf("seccomp load: seccomp(SET_MODE_FILTER, flags %#x, %d instructions): %w", flags, len(f.Instructions), errno)
	}
	if f.Listener {
		return int(r), nil
	}
	if r != 0 {
		// Without TSYNC_ESRCH a positive value is the thread that could not
		// be synchronised.
		return -1, fmt.Errorf("seccomp load: TSYNC failed for thread %d", r)
	}
	return -1, nil
}

// wire is Filter with the instructions as one base64 string of the
// kernel's 8-byte struct sock_filter rather than an object each: for
// Docker's default profile (about 1,200 instructions) that is 13 KB
// instead of 44 KB, and the init decodes it about 4x faster.
type wire struct {
	BPF      []byte
	Flags    uint `json:",omitempty"`
	Listener bool `json:",omitempty"`
	Rules    int  `json:",omitempty"`
}

// MarshalJSON encodes the filter in its compact form.
func (f *Filter) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{BPF: Encode(f.Instructions), Flags: f.Flags, Listener: f.Listener, Rules: f.Rules})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (f *Filter) UnmarshalJSON(data []byte) error {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("seccomp filter: %w", err)
	}
	ins, err := Decode(w.BPF)
	if err != nil {
		return fmt.Errorf("seccomp filter: %w", err)
	}
	*f = Filter{Instructions: ins, Flags: w.Flags, Listener: w.Listener, Rules: w.Rules}
	return nil
}

// Encode lays instructions out as the kernel's struct sock_filter array.
func Encode(prog []unix.SockFilter) []byte {
	raw := make([]byte, 8*len(prog))
	for i, ins := range prog {
		b := raw[i*8:]
		binary.NativeEndian.PutUint16(b[0:], ins.Code)
		b[2], b[3] = ins.Jt, ins.Jf
		binary.NativeEndian.PutUint32(b[4:], ins.K)
	}
	return raw
}

// Decode reads what Encode wrote.
func Decode(raw []byte) ([]unix.SockFilter, error) {
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("bpf: %d bytes is not a whole number of instructions", len(raw))
	}
	out := make([]unix.SockFilter, len(raw)/8)
	for i := range out {
		b := raw[i*8:]
		out[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b[0:]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	return out, nil
}
