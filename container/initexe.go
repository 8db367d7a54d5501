package container

import (
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
//     needs a single-threaded process);
//   - no uid/gid maps written by newuidmap (the init waits for them before
//     its runtime starts);
//   - a new pid namespace, so that no other process is in it while its Go
//     runtime starts: the C pre-main makes the init non-dumpable from its
//     first instruction, minirun-init only from its first Go code, and a
//     process sharing the pid namespace could ptrace it in between.
//
// Everything else (exec, joined namespaces, subordinate-range rootless)
// starts the re-exec of minirun, as does a minirun without minirun-init
// beside it, or with one that is not safe to run: not a regular file, not
// owned by minirun's own owner, or writable by group or others. Either way
// the binary runs from a sealed, read-only view of it (sealexe.go).
var (
	initOnce sync.Once
	initPath string
	initFile *os.File // kept referenced so the GC never closes the fd
)

// initExe is the sealed binary a start of plan runs as its init.
func initExe(plan namespaces.Plan, helperMaps bool) (string, error) {
	if len(plan.Join) > 0 || helperMaps || !plan.Creates(specs.PIDNamespace) || os.Getenv("MINIRUN_NO_INIT_BINARY") != "" {
		return sealedExe()
	}
	initOnce.Do(func() {
		if path, ok := initBinary(); ok {
			initPath, initFile, _ = seal(path) // on error: the re-exec
		}
	})
	if initPath != "" {
		return initPath, nil
	}
	return sealedExe()
}

// initBinary finds minirun-init beside this binary and checks it is as
// trustworthy as minirun itself.
func initBinary() (string, bool) {
	self, err := os.Executable()
	if err != nil {
		return "", false
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		return "", false
	}
	path := filepath.Join(filepath.Dir(self), InitBinary)
	return path, trustedBeside(self, path)
}

// trustedBeside reports whether path is a regular executable file owned by
// self's owner and writable by no one else.
func trustedBeside(self, path string) bool {
	var me, it unix.Stat_t
	if unix.Stat(self, &me) != nil || unix.Lstat(path, &it) != nil {
		return false
	}
	return it.Mode&unix.S_IFMT == unix.S_IFREG && it.Mode&0o022 == 0 && it.Uid == me.Uid && it.Mode&0o111 != 0
}
