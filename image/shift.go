package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/subid"
)

// A rootless store with subordinate ranges keeps each layer's owners
// shifted into them, as the container's user namespace maps them: a file
// uid N owns in the layer is owned on the host by the caller for N = 0 and
// by subuid_start+N-1 from 1 on (subid.ForCaller), and is N again inside.
//
// The caller can't chown a file to a subordinate id on the host, but the
// root of a user namespace with those maps can. So the unpack runs in a
// helper: a re-exec of this binary in a new user namespace whose maps
// newuidmap and newgidmap write (it waits for them in the nsenter C
// pre-main, as a rootless init does), and which then unpacks the tar from
// its stdin with chown, mknod of whiteouts and user.overlay.* xattrs. The
// same helper removes such trees: on the host, the caller may not delete
// what a subordinate id owns. Without ranges (or without the helpers),
// layers stay the caller's own and the container gets the single mapping.

const shiftHelperArg = "__minirun-layer-userns"

// IsShiftHelper reports whether this process is the store's helper in a
// user namespace; main (and minirun.Init) must hand it ShiftHelper.
func IsShiftHelper() bool { return len(os.Args) == 4 && os.Args[1] == shiftHelperArg }

// ShiftHelper does the helper's one job and exits: "unpack DIR" extracts
// the layer tar on stdin into DIR, reads stdin to its end and prints the
// bytes of file content written; "remove PATH" removes a tree.
func ShiftHelper() {
	op, path := os.Args[2], os.Args[3]
	var err error
	switch op {
	case "unpack":
		var size int64
		u := &unpacker{root: path, rootless: true, shifted: true}
		if size, err = u.run(os.Stdin); err == nil {
			_, err = io.Copy(io.Discard, os.Stdin)
			fmt.Println(size)
		}
	case "remove":
		err = os.RemoveAll(path)
	default:
		f, ok := helperOps[op]
		if !ok {
			err = fmt.Errorf("unknown operation %q", op)
			break
		}
		var out string
		if out, err = f(path, os.Stdin); err == nil {
			fmt.Print(out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// helperCaps are what the helper carries across its execve as ambient
// capabilities: its ids are not mapped yet when it execs, so it would
// lose those of its new namespace otherwise. They are its namespace's,
// over files whose owners it maps, nothing of the host's.
var helperCaps = []uintptr{unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_DAC_READ_SEARCH,
	unix.CAP_FOWNER, unix.CAP_FSETID, unix.CAP_MKNOD, unix.CAP_SETFCAP}

// HelperOp is an operation a program adds to the helper's own: it gets
// the path argument and the helper's stdin, and what it returns is
// printed for the caller.
type HelperOp func(path string, stdin io.Reader) (string, error)

var helperOps = map[string]HelperOp{}

// RegisterHelperOp adds op to what the helper does, for RunHelper. Only
// an init function may call it: the helper's main reads the table.
func RegisterHelperOp(name string, op HelperOp) { helperOps[name] = op }

// RunHelper runs the helper's op (one RegisterHelperOp added) on path,
// with stdin, in a user namespace of the rootless caller: with maps m
// (the store's Shift), or, with none, the caller alone mapped to root.
// The helper also has a mount namespace of its own and may mount in it
// (CAP_SYS_ADMIN of its user namespace, nothing of the host's): an
// overlay of a container's layers, say, gone when it exits.
func RunHelper(m *subid.Maps, stdin io.Reader, op, path string) (string, error) {
	return runHelper(m, stdin, op, path, true)
}

// usernsSyncEnv names the fd the nsenter pre-main waits on until the maps
// are written (container/rootless.go spells it too).
const usernsSyncEnv = "MINIRUN_USERNS_SYNC"

// inUserns runs the helper's op on path in a user namespace with maps m,
// with stdin as its stdin, and returns what it printed.
func inUserns(m *subid.Maps, stdin io.Reader, op, path string) (string, error) {
	return runHelper(m, stdin, op, path, false)
}

// runHelper is inUserns, with a mount namespace of the helper's own and
// the right to mount in it when mounts is set, and the caller alone
// mapped when m is nil.
func runHelper(m *subid.Maps, stdin io.Reader, op, path string, mounts bool) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("layer helper: %w", err)
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("layer helper: %w", err)
	}
	defer wr.Close()
	var out, errb bytes.Buffer
	cmd := exec.Command(self, shiftHelperArg, op, path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	cmd.ExtraFiles = []*os.File{rd}
	cmd.Env = []string{usernsSyncEnv + "=3"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, AmbientCaps: helperCaps, Pdeathsig: syscall.SIGKILL}
	if mounts {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWNS
		cmd.SysProcAttr.AmbientCaps = append(append([]uintptr(nil), helperCaps...), unix.CAP_SYS_ADMIN)
	}
	err = cmd.Start()
	rd.Close()
	if err != nil {
		return "", fmt.Errorf("layer helper: start in a user namespace: %w", err)
	}
	if err := writeMaps(m, cmd.Process.Pid); err != nil {
		wr.Close()
		_ = cmd.Wait()
		return "", fmt.Errorf("layer helper: %w", err)
	}
	if _, err := wr.Write([]byte{0}); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", fmt.Errorf("layer helper: release: %w", err)
	}
	wr.Close()
	if err := cmd.Wait(); err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return "", errors.New(msg)
		}
		return "", fmt.Errorf("layer helper %s %s: %w", op, path, err)
	}
	return out.String(), nil
}

// writeMaps gives the helper pid its maps: m through newuidmap and
// newgidmap, or, with none, the caller alone as root, which the caller
// may write itself (setgroups denied first, as the kernel requires).
func writeMaps(m *subid.Maps, pid int) error {
	if m != nil {
		return m.Write(pid)
	}
	proc := "/proc/" + strconv.Itoa(pid) + "/"
	for _, w := range []struct{ file, data string }{
		{"setgroups", "deny"},
		{"uid_map", fmt.Sprintf("0 %d 1", os.Geteuid())},
		{"gid_map", fmt.Sprintf("0 %d 1", os.Getegid())},
	} {
		if err := os.WriteFile(proc+w.file, []byte(w.data), 0); err != nil {
			return fmt.Errorf("map the caller in the helper's user namespace: %w", err)
		}
	}
	return nil
}

// RemoveShifted removes p, and when the caller may not (files a
// subordinate id owns: a rootless container's, or a layer's copy),
// removes it in the helper's user namespace with maps m.
func RemoveShifted(m *subid.Maps, p string) error {
	err := os.RemoveAll(p)
	if err == nil || m == nil {
		return err
	}
	if _, herr := inUserns(m, nil, "remove", p); herr != nil {
		return fmt.Errorf("%w (and in the layers' user namespace: %v)", err, herr)
	}
	return nil
}

// unpackLayer extracts r into root: shifted by the helper when the store
// has maps, else here as the caller.
func (s *Store) unpackLayer(r io.Reader, root string) (int64, error) {
	if s.Shift == nil {
		return unpack(r, root)
	}
	out, err := inUserns(s.Shift, r, "unpack", root)
	if err != nil {
		return 0, err
	}
	size, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("unpack layer: helper said %q", out)
	}
	return size, nil
}

// removeAll removes p, and when the caller may not (a tree of shifted
// owners), removes it in the helper's user namespace.
func (s *Store) removeAll(p string) error { return RemoveShifted(s.Shift, p) }

// checkShift refuses to stack a layer unpacked with other maps than the
// store's now (its owners would show shifted wrong inside). A layer of the
// caller's own files (unpacked before the caller had ranges) is fine:
// they are root's in either map.
func (s *Store) checkShift(layerFS string) error {
	var m layerMeta
	if err := readJSON(filepath.Join(filepath.Dir(layerFS), "meta.json"), &m); err != nil {
		return nil // not a store layer (an imported directory)
	}
	if m.IDMap != "" && m.IDMap != s.Shift.String() {
		return fmt.Errorf("layer %s was unpacked with owners shifted by the maps %s, and the caller's are now %q: remove the image (rmi) and pull or import it again", m.DiffID, m.IDMap, s.Shift.String())
	}
	return nil
}
