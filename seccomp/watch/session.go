package watch

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/atomicfile"
	"github.com/minirun/minirun/seccomp"
)

// Request is what a run's --seccomp-report and --seccomp-record ask
// for. The zero value asks for neither.
type Request struct {
	Report      bool   // --seccomp-report: the denials, at exit
	ReportFile  string // --seccomp-report=FILE: as JSON in FILE, not as text on stderr
	Record      string // --seccomp-record FILE: the profile of what the container calls
	RecordMerge bool   // --seccomp-record-merge: add to the profile already in FILE
}

// Target is what a watch needs to know of the container it watches.
type Target struct {
	// Spec is the container's config: a recorded profile must load for
	// its bounding set.
	Spec *specs.Spec
	// Required lists the syscalls the runtime still makes after the
	// filter, which every recorded profile allows.
	Required func() []string
	// Source is the profile as the user wrote it, for the report to name
	// the entry behind each refusal; nil when the container has none.
	Source func() (*Source, error)
}

// Session is one run's report or recording: the Watcher the start
// serves, and what Finish writes once the container has exited.
type Session struct {
	w          *Watcher
	reportFile string
	recordFile string
	t          Target
}

// Open checks r and makes its watch: nil, and no error, when r asks for
// nothing. The two can't go together: each needs the notifications of the
// container's one filter.
func (r Request) Open(t Target) (*Session, error) {
	if r.RecordMerge && r.Record == "" {
		return nil, errdefs.New(errdefs.ErrInvalid, "seccomp record: --seccomp-record-merge needs --seccomp-record FILE")
	}
	if !r.Report && r.Record == "" {
		return nil, nil
	}
	if r.Report && r.Record != "" {
		return nil, errdefs.New(errdefs.ErrInvalid, "seccomp report: --seccomp-report and --seccomp-record each need the notifications of one filter; use one at a time")
	}
	rw := &Session{t: t}
	if r.Record != "" {
		abs, err := filepath.Abs(r.Record)
		if err != nil {
			return nil, fmt.Errorf("seccomp record: %w", err)
		}
		rw.recordFile, rw.w = abs, NewRecorder()
		if r.RecordMerge {
			if _, err := os.Stat(abs); err == nil {
				if err := rw.w.MergeRecorded(abs); err != nil {
					return nil, fmt.Errorf("seccomp record: %w", err)
				}
			}
		}
		return rw, nil
	}
	var src *Source
	if t.Source != nil {
		var err error
		if src, err = t.Source(); err != nil {
			return nil, fmt.Errorf("seccomp report: %w", err)
		}
	}
	if src == nil {
		return nil, errdefs.New(errdefs.ErrInvalid, "seccomp report: the container has no seccomp profile (unconfined or privileged): nothing would be refused")
	}
	if r.ReportFile != "" {
		abs, err := filepath.Abs(r.ReportFile)
		if err != nil {
			return nil, fmt.Errorf("seccomp report: %w", err)
		}
		rw.reportFile = abs
	}
	rw.w = NewReport(src)
	return rw, nil
}

// Watcher is what the start serves; nil for a nil watch.
func (rw *Session) Watcher() *Watcher {
	if rw == nil {
		return nil
	}
	return rw.w
}

// Finish writes the recorded profile, or the report: as JSON to its file,
// or as text to stderr (nowhere when stderr is nil). A nil watch has
// nothing to write.
func (rw *Session) Finish(stderr io.Writer) error {
	if rw == nil {
		return nil
	}
	if rw.recordFile != "" {
		if err := rw.writeProfile(); err != nil {
			return err
		}
		if note := rw.w.RecordNote(); note != "" && stderr != nil {
			fmt.Fprintf(stderr, "minirun: seccomp record: %s\n", note)
		}
		return nil
	}
	r := rw.w.Report()
	if rw.reportFile == "" {
		if stderr != nil {
			r.WriteText(stderr)
		}
		return nil
	}
	f, err := os.Create(rw.reportFile)
	if err != nil {
		return fmt.Errorf("seccomp report: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("seccomp report: write %s: %w", rw.reportFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("seccomp report: write %s: %w", rw.reportFile, err)
	}
	return nil
}

func (rw *Session) writeProfile() error {
	var required []string
	if rw.t.Required != nil {
		required = rw.t.Required()
	}
	body, err := json.MarshalIndent(rw.w.Profile(required), "", "  ")
	if err != nil {
		return fmt.Errorf("seccomp record: encode: %w", err)
	}
	body = append(body, '\n')
	// What is written must load: check it as a profile given to run would be.
	var caps []string
	if s := rw.t.Spec; s != nil && s.Process != nil && s.Process.Capabilities != nil {
		caps = s.Process.Capabilities.Bounding
	}
	if _, err := seccomp.ParseProfile(body, caps); err != nil {
		return fmt.Errorf("seccomp record: the recorded profile does not load: %w", err)
	}
	if err := atomicfile.Write(rw.recordFile, body, 0o644, false); err != nil {
		return fmt.Errorf("seccomp record: %w", err)
	}
	return nil
}
