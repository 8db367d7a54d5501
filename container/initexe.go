package container

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/namespaces"
)

// InitBinary is the name of the small init program, installed beside
// minirun (make build puts it in bin/).
const InitBinary = "minirun-init"

// A new container's init can be minirun-init (cmd/minirun-init) instead of
// a re-exec of minirun: the same init steps (initproc) as a pure Go
// program, without cgo, libseccomp, the image store or the cgroup
// libraries. It starts in a fraction of the time: no glibc start-up, whose
// CPU probes trap to the hypervisor on a VM, no cgo threads, and a binary
// a fifth of the size, with far fewer package initialisers and page faults
// (README, "where the time goes").
//
// It has no C pre-main, so it is used only where a start needs none:
//   - no namespace joined by path (setns into a mount or user namespace
//     needs a single-threaded process), unless all the joins are ones the
//     parent's forking thread enters for it (net, ipc, uts: joinsByThread);
//   - no uid/gid maps written by newuidmap (the init waits for them before
//     its runtime starts);
//   - a new pid namespace, so that no other process is in it while its Go
//     runtime starts: the C pre-main makes the init non-dumpable from its
//     first instruction, minirun-init only from its first Go code, and a
//     process sharing the pid namespace could ptrace it in between.
//
// Everything else (exec, other joined namespaces, subordinate-range rootless)
// starts the re-exec of minirun, as does a minirun without minirun-init
// beside it, or with one that is not safe to run: not a regular file, not
// owned by minirun's own owner, writable by group or others, or in a
// directory others may write to. Either way
// the binary runs from a sealed, read-only view of it (sealexe.go).
var (
	initOnce sync.Once
	initPath string
	initFile *os.File // kept referenced so the GC never closes the fd
)

// initExe is the sealed binary a start of plan runs as its init.
func initExe(plan namespaces.Plan, helperMaps bool) (string, error) {
	if needsMinirun(plan, helperMaps) || os.Getenv("MINIRUN_NO_INIT_BINARY") != "" {
		return sealedExe()
	}
	initOnce.Do(func() {
		if f, ok := initBinary(); ok {
			// Sealed through the handle checked, not the path again.
			initPath, initFile, _ = seal(fmt.Sprintf("/proc/self/fd/%d", f.Fd())) // on error: the re-exec
			f.Close()
		}
	})
	if initPath != "" {
		return initPath, nil
	}
	return sealedExe()
}

// needsMinirun reports whether a start of plan needs the re-exec of
// minirun, with its C pre-main, rather than minirun-init (see above).
func needsMinirun(plan namespaces.Plan, helperMaps bool) bool {
	return (len(plan.Join) > 0 && !joinsByThread(plan)) || helperMaps || !plan.Creates(specs.PIDNamespace)
}

// initBinary opens minirun-init beside this binary, if it is as
// trustworthy as minirun itself (trusted).
func initBinary() (*os.File, bool) { return OpenSibling(InitBinary) }

// OpenSibling opens, O_PATH, the program called name in this binary's
// directory, if it is as trustworthy as this binary (trusted): minirun
// runs it as root.
func OpenSibling(name string) (*os.File, bool) {
	self, err := os.Executable()
	if err != nil {
		return nil, false
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		return nil, false
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(self), name), unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	if !trusted(self, f) {
		f.Close()
		return nil, false
	}
	return f, true
}

// trusted reports whether f, opened beside self, is a regular executable
// file owned by self's owner, writable by no one else, in a directory no
// one else can write to (where a hard link to some other root-owned
// program could be put in its place).
func trusted(self string, f *os.File) bool {
	var me, it, dir unix.Stat_t
	if unix.Stat(self, &me) != nil || unix.Fstat(int(f.Fd()), &it) != nil || unix.Stat(filepath.Dir(f.Name()), &dir) != nil {
		return false
	}
	return it.Mode&unix.S_IFMT == unix.S_IFREG && it.Mode&0o022 == 0 && it.Uid == me.Uid && it.Mode&0o111 != 0 &&
		dir.Mode&0o022 == 0 && (dir.Uid == me.Uid || dir.Uid == 0)
}
