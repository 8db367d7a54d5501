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

// The init programs, installed beside minirun (make build puts them in
// bin/): the same main package (cmd/minirun-init), built twice.
const (
	// InitBinary is the pure Go build, without cgo.
	InitBinary = "minirun-init"
	// PreMainInitBinary is the build with minirun's C pre-main (nsenter).
	PreMainInitBinary = "minirun-init-nsenter"
)

// A container's init is one of the init programs rather than a re-exec of
// minirun: the same init steps (initproc) without libseccomp, the
// image store or the cgroup libraries. It starts in a fraction of the
// time: a binary a third of the size, with far fewer package initialisers
// and page faults (docs/performance.md).
//
// minirun-init, in pure Go, also has no glibc start-up, whose CPU probes
// trap to the hypervisor on a VM, and no cgo threads. It has no C
// pre-main, so it is used only where a start needs none:
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
// Every other start, and every exec, runs minirun-init-nsenter, which has
// the pre-main. Without the program wanted beside it, or with one that is
// not safe to run (not a regular file, not owned by minirun's own owner,
// writable by group or others, or in a directory others may write to),
// minirun re-execs itself, as it does with MINIRUN_NO_INIT_BINARY set.
// Either way the binary runs from a sealed, read-only view of it
// (sealexe.go).
var (
	pureInit    sealedInit
	preMainInit sealedInit
)

// sealedInit is one init program, sealed once a process.
type sealedInit struct {
	once sync.Once
	path string
	file *os.File // kept referenced so the GC never closes the fd
}

// get is the sealed program called name beside this binary, or else the
// sealed minirun; prog says which, for --debug.
func (s *sealedInit) get(name string) (path, prog string, err error) {
	if os.Getenv("MINIRUN_NO_INIT_BINARY") == "" {
		s.once.Do(func() {
			if f, ok := OpenSibling(name); ok {
				// Sealed through the handle checked, not the path again.
				s.path, s.file, _ = seal(fmt.Sprintf("/proc/self/fd/%d", f.Fd())) // on error: the re-exec
				f.Close()
			}
		})
		if s.path != "" {
			return s.path, name, nil
		}
	}
	path, err = sealedExe()
	return path, "minirun", err
}

// initExe is the sealed binary a start of plan runs as its init, and its
// program's name.
func initExe(plan namespaces.Plan, helperMaps bool) (string, string, error) {
	if needsPreMain(plan, helperMaps) {
		return preMainInit.get(PreMainInitBinary)
	}
	return pureInit.get(InitBinary)
}

// execInitExe is the sealed binary an exec runs as its init, and its
// program's name: the init joins every namespace of the container, the
// mount namespace included, so it needs the C pre-main.
func execInitExe() (string, string, error) { return preMainInit.get(PreMainInitBinary) }

// needsPreMain reports whether a start of plan needs an init with the C
// pre-main rather than minirun-init (see above).
func needsPreMain(plan namespaces.Plan, helperMaps bool) bool {
	return (len(plan.Join) > 0 && !joinsByThread(plan)) || helperMaps || !plan.Creates(specs.PIDNamespace)
}

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
