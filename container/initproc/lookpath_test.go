package initproc

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/errdefs"
)

// files is a recorder over a small file system: path -> mode, and which
// paths the caller may execute.
type files struct {
	recorder
	mode map[string]uint32
	exec map[string]bool
	err  map[string]error // Stat's error for a path, other than ENOENT
}

func (f *files) Stat(p string) (unix.Stat_t, error) {
	f.rec("stat %s", p)
	if err := f.err[p]; err != nil {
		return unix.Stat_t{}, err
	}
	m, ok := f.mode[p]
	if !ok {
		return unix.Stat_t{}, unix.ENOENT
	}
	return unix.Stat_t{Mode: m}, nil
}

func (f *files) Access(p string) error {
	f.rec("access %s", p)
	if f.exec[p] {
		return nil
	}
	return unix.EACCES
}

func TestLookPath(t *testing.T) {
	fs := &files{
		mode: map[string]uint32{
			"/bin/sh": unix.S_IFREG, "/usr/bin/sh": unix.S_IFREG, "/usr/bin/data": unix.S_IFREG,
			"/bin/tool": unix.S_IFREG, "/usr/bin/tool": unix.S_IFREG, "/bin/dir": unix.S_IFDIR,
			"/usr/local/bin/env": unix.S_IFREG, "app": unix.S_IFREG,
		},
		exec: map[string]bool{"/bin/sh": true, "/usr/bin/sh": true, "/bin/tool": true, "/usr/local/bin/env": true, "/bin/dir": true, "app": true},
		err:  map[string]error{"/locked/x": unix.EACCES},
	}
	for _, tc := range []struct {
		name string
		env  []string
		want string // the path found, or the error's text
		code int    // 0 when found
	}{
		{"sh", []string{"PATH=/usr/bin:/bin"}, "/usr/bin/sh", 0},
		{"sh", []string{"PATH=/nope:/bin"}, "/bin/sh", 0},
		// The first that can be run; a later PATH= wins, as in execvp.
		{"tool", []string{"PATH=/usr/bin", "PATH=/usr/bin:/bin"}, "/bin/tool", 0},
		// No PATH: the default, which has /usr/local/bin.
		{"env", nil, "/usr/local/bin/env", 0},
		// An empty entry is the cwd.
		{"app", []string{"PATH=/nope:"}, "app", 0},
		{"missing", []string{"PATH=/bin"}, `exec: "missing": executable file not found in $PATH`, errdefs.ExitNotFound},
		// Found but not executable, and nothing better later: 126.
		{"data", []string{"PATH=/usr/bin:/bin"}, `exec: "/usr/bin/data": permission denied`, errdefs.ExitNoExec},
		{"dir", []string{"PATH=/bin"}, `exec: "/bin/dir": is a directory`, errdefs.ExitNoExec},
		// A name with a slash is taken as it is.
		{"/bin/sh", []string{"PATH=/usr/bin"}, "/bin/sh", 0},
		{"./nope", nil, `exec: "./nope": no such file or directory`, errdefs.ExitNotFound},
		{"/locked/x", nil, `exec: "/locked/x": permission denied`, errdefs.ExitNoExec},
	} {
		got, err := lookPath(fs, tc.name, tc.env)
		if tc.code == 0 {
			if err != nil || got != tc.want {
				t.Errorf("lookPath(%q, %q) = %q, %v; want %q", tc.name, tc.env, got, err, tc.want)
			}
			continue
		}
		var se *errdefs.StepError
		if !errors.As(err, &se) || se.Code != tc.code || err.Error() != tc.want || errdefs.ExitCode(err) != tc.code {
			t.Errorf("lookPath(%q, %q) = %q, %v; want %d %q", tc.name, tc.env, got, err, tc.code, tc.want)
		}
	}
}

func TestExecError(t *testing.T) {
	if err := execError("sh", unix.ENOENT); errdefs.ExitCode(err) != errdefs.ExitNotFound || !strings.Contains(err.Error(), `execve "sh"`) {
		t.Errorf("ENOENT (a missing interpreter): %v", err)
	}
	if err := execError("sh", unix.ENOEXEC); errdefs.ExitCode(err) != errdefs.ExitNoExec {
		t.Errorf("ENOEXEC: %v", err)
	}
}
