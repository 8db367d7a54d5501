package docker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/docker/jsonlog"
	"github.com/minirun/minirun/errdefs"
)

// Log drivers --log-driver takes: Docker's default, and none.
const (
	LogDriverJSONFile = "json-file"
	LogDriverNone     = "none"
)

// LogFile is container id's json-file log, beside its record in the
// store's containers directory, named as Docker names it.
func LogFile(containersDir, id string) string {
	return filepath.Join(containersDir, id, id+"-json.log")
}

// LogConfigOf checks --log-driver and --log-opt KEY=VALUE... and returns
// them as the record keeps them; the driver defaults to json-file.
func LogConfigOf(driver string, opts []string) (LogConfig, error) {
	lc := LogConfig{Type: driver}
	if lc.Type == "" {
		lc.Type = LogDriverJSONFile
	}
	if lc.Type != LogDriverJSONFile && lc.Type != LogDriverNone {
		return LogConfig{}, invalidf("--log-driver %q: minirun has json-file and none", driver)
	}
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k == "" {
			return LogConfig{}, invalidf("--log-opt %q: want KEY=VALUE", o)
		}
		if lc.Config == nil {
			lc.Config = map[string]string{}
		}
		lc.Config[k] = v
	}
	if lc.Type == LogDriverNone && len(lc.Config) > 0 {
		return LogConfig{}, invalidf("--log-opt %s: the none log driver takes no options", opts[0])
	}
	if _, err := lc.Options(); err != nil {
		return LogConfig{}, err
	}
	return lc, nil
}

// Options are lc's rotation bounds, for jsonlog.Open.
func (lc LogConfig) Options() (jsonlog.Options, error) {
	o, err := jsonlog.ParseOptions(lc.Config)
	if err != nil {
		return o, errdefs.New(errdefs.ErrInvalid, err.Error())
	}
	return o, nil
}

// LogsOptions are the logs command's flags.
type LogsOptions struct {
	Follow     bool      // -f: go on until the container exits
	Tail       int       // --tail N: the last N entries; < 0: all
	Since      time.Time // --since: zero for all
	Until      time.Time // --until: zero for all
	Timestamps bool      // -t: each entry's time before it
}

// Logs writes container r's log, its stdout entries to stdout and its
// stderr entries to stderr. With Follow it waits for more until the
// container has exited: as its record says once a monitor keeps it, or
// else as rt's state of it says.
func Logs(containersDir string, rt *container.Runtime, r *Record, o LogsOptions, stdout, stderr io.Writer) error {
	if r.HostConfig.LogConfig.Type == LogDriverNone {
		return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("logs %s: configured logging driver does not support reading: it ran with --log-driver none", ref(r)))
	}
	path := LogFile(containersDir, r.ID)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("logs %s: the container has no log: a foreground run's output goes to its terminal only", ref(r)))
	}
	// Output is buffered, so a long log is written in large blocks. When
	// stdout and stderr are one file (a terminal, 2>&1) one buffer takes
	// both, so the streams keep their order there.
	out := bufio.NewWriterSize(stdout, 64<<10)
	errw := out
	if !sameFile(stdout, stderr) {
		errw = bufio.NewWriterSize(stderr, 16<<10)
	}
	var stamp []byte
	emit := func(e jsonlog.Entry) error {
		w := out
		if e.Stream == "stderr" {
			w = errw
		}
		if o.Timestamps {
			stamp = append(e.Time.UTC().AppendFormat(stamp[:0], jsonlog.TimeLayout), ' ')
			if _, err := w.Write(stamp); err != nil {
				return err
			}
		}
		_, err := w.Write(e.Log)
		return err
	}
	flush := func() error {
		if err := out.Flush(); err != nil {
			return err
		}
		return errw.Flush()
	}
	c := jsonlog.ReadConfig{Tail: o.Tail, Since: o.Since, Until: o.Until, Follow: o.Follow,
		// Each poll of a follow first shows what was read so far.
		Running: func() bool {
			_ = flush()
			return running(containersDir, rt, r.ID)
		}}
	err := jsonlog.Read(path, c, emit)
	if ferr := flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("logs %s: %w", ref(r), err)
	}
	return nil
}

// sameFile tells whether a and b are one open file, or two opened on one
// (a terminal).
func sameFile(a, b io.Writer) bool {
	fa, ok := a.(*os.File)
	if !ok {
		return a == b
	}
	fb, ok := b.(*os.File)
	if !ok {
		return false
	}
	sa, err := fa.Stat()
	if err != nil {
		return false
	}
	sb, err := fb.Stat()
	return err == nil && os.SameFile(sa, sb)
}

func ref(r *Record) string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID[:12]
}

// running tells a follow whether container id may still write to its
// log. A monitor that keeps the record marks the exit there only after
// it has copied the last output, so the record is asked first; a record
// no monitor keeps (Status empty) leaves it to the runtime's state.
func running(containersDir string, rt *container.Runtime, id string) bool {
	// RefreshState: a monitor killed on the way reads as exited, and a
	// follow ends.
	r, err := RefreshState(rt, filepath.Join(containersDir, id))
	if err != nil {
		return false // removed
	}
	switch r.State.Status {
	case "exited", "dead":
		return false
	case "":
	default:
		return true
	}
	ctr, err := rt.Load(id)
	if err != nil {
		return false
	}
	st, err := ctr.State()
	return err == nil && st.Status != specs.StateStopped
}

// ParseLogTime reads --since and --until as Docker does: a duration
// before now (10m, 1h30m), Unix seconds with an optional fraction, or an
// RFC 3339 time, a date and time without a zone (local time), or a date.
func ParseLogTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if sec, frac, _ := strings.Cut(s, "."); isDigits(sec) && (frac == "" || isDigits(frac)) {
		n, err := strconv.ParseInt(sec, 10, 64)
		if err == nil {
			var ns int64
			if frac != "" {
				frac = (frac + "000000000")[:9]
				ns, _ = strconv.ParseInt(frac, 10, 64)
			}
			return time.Unix(n, ns), nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, invalidf("--%s %q: want a duration (10m), Unix seconds, or a time such as 2006-01-02T15:04:05Z", flag, s)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
