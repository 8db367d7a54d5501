package docker

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/docker/jsonlog"
	"github.com/minirun/minirun/errdefs"
)

func TestParseLogTime(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"10m":                            now.Add(-10 * time.Minute),
		"1h30m":                          now.Add(-90 * time.Minute),
		"1700000000":                     time.Unix(1700000000, 0),
		"1700000000.5":                   time.Unix(1700000000, 500000000),
		"2026-01-02T15:04:05Z":           time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
		"2026-01-02T15:04:05.123+01:00":  time.Date(2026, 1, 2, 14, 4, 5, 123000000, time.UTC),
		"2026-01-02":                     time.Date(2026, 1, 2, 0, 0, 0, 0, time.Local),
		"2026-01-02T15:04:05.000000001":  time.Date(2026, 1, 2, 15, 4, 5, 1, time.Local),
		"2026-01-02T15:04:05.123456789Z": time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.UTC),
	} {
		got, err := ParseLogTime("since", in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "10q", "2026-13-01", "1.2.3"} {
		_, err := ParseLogTime("since", bad, now)
		if err == nil || !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), "--since") {
			t.Errorf("%s: %v, want an invalid-input error naming --since", bad, err)
		}
	}
}

func TestLogConfigOf(t *testing.T) {
	lc, err := LogConfigOf("", nil)
	if err != nil || lc.Type != "json-file" {
		t.Errorf("default = %+v, %v", lc, err)
	}
	lc, err = LogConfigOf("json-file", []string{"max-size=10m", "max-file=3"})
	if err != nil || lc.Config["max-size"] != "10m" || lc.Config["max-file"] != "3" {
		t.Errorf("json-file with options = %+v, %v", lc, err)
	}
	for _, bad := range []struct {
		driver string
		opts   []string
		want   string
	}{
		{"syslog", nil, "--log-driver"},
		{"json-file", []string{"max-size"}, "--log-opt"},
		{"json-file", []string{"max-size=lots"}, "max-size"},
		{"json-file", []string{"colour=red"}, "colour"},
		{"none", []string{"max-size=1m"}, "none"},
	} {
		_, err := LogConfigOf(bad.driver, bad.opts)
		if err == nil || !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s %v: %v, want one invalid-input line naming %s", bad.driver, bad.opts, err, bad.want)
		}
	}
}

// Logs splits the streams, stamps entries with -t, and refuses a
// container with no log in one line.
func TestLogs(t *testing.T) {
	dir := t.TempDir()
	id := strings.Repeat("ab", 32)
	if err := os.Mkdir(filepath.Join(dir, id), 0o700); err != nil {
		t.Fatal(err)
	}
	r := &Record{ID: id, Name: "web", State: ContainerState{InspectState: InspectState{Status: "exited"}}}
	rt := &container.Runtime{Root: t.TempDir()}
	var out, errb bytes.Buffer
	err := Logs(dir, rt, r, LogsOptions{Tail: -1}, &out, &errb)
	if err == nil || !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), "logs web") {
		t.Errorf("logs of a container with no log: %v", err)
	}
	r.HostConfig.LogConfig.Type = LogDriverNone
	if err := Logs(dir, rt, r, LogsOptions{Tail: -1}, &out, &errb); err == nil || !strings.Contains(err.Error(), "does not support reading") {
		t.Errorf("logs of a none-driver container: %v", err)
	}
	r.HostConfig.LogConfig.Type = LogDriverJSONFile

	w, err := jsonlog.Open(LogFile(dir, id), jsonlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Copy("stdout", strings.NewReader("out 1\nout 2\n"))
	w.Copy("stderr", strings.NewReader("err 1\n"))
	w.Copy("stdout", strings.NewReader("out 3"))
	w.Close()
	if err := Logs(dir, rt, r, LogsOptions{Tail: -1}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if out.String() != "out 1\nout 2\nout 3" || errb.String() != "err 1\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	// The record says exited, so a follow ends once it has read the log.
	if err := Logs(dir, rt, r, LogsOptions{Tail: 2, Timestamps: true, Follow: true}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	stamped := strings.SplitN(errb.String(), " ", 2)
	if len(stamped) != 2 || stamped[1] != "err 1\n" || out.String() == "" || !strings.HasSuffix(out.String(), " out 3") {
		t.Fatalf("tail 2 -t: stdout %q, stderr %q", out.String(), errb.String())
	}
	if _, err := time.Parse(time.RFC3339Nano, stamped[0]); err != nil || len(stamped[0]) != len("2006-01-02T15:04:05.000000000Z") {
		t.Errorf("-t stamp %q: not RFC 3339 with nine digits: %v", stamped[0], err)
	}

	// Both streams to one file (2>&1, a terminal) keep their order.
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Logs(dir, rt, r, LogsOptions{Tail: -1}, f, f); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(f.Name()); string(got) != "out 1\nout 2\nerr 1\nout 3" {
		t.Errorf("stdout and stderr to one file: %q", got)
	}
}

// firstByte is a writer that ends the read at its first write: Logs then
// returns errFirstByte, and the time taken is the time to first byte.
type firstByte struct{}

var errFirstByte = errors.New("first byte")

func (firstByte) Write([]byte) (int, error) { return 0, errFirstByte }

// benchLog is a 100 MiB log of 25-byte lines (about 90 bytes an entry),
// made once per run.
var benchLog struct {
	dir, id string
}

func makeBenchLog(b *testing.B) (string, *Record) {
	id := strings.Repeat("cd", 32)
	if benchLog.dir == "" {
		dir, err := os.MkdirTemp("", "minirun-logs-bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, id), 0o700); err != nil {
			b.Fatal(err)
		}
		w, err := jsonlog.Open(LogFile(dir, id), jsonlog.Options{})
		if err != nil {
			b.Fatal(err)
		}
		line := strings.Repeat("x", 24) + "\n"
		var in strings.Builder
		for in.Len() < 1<<20 {
			in.WriteString(line)
		}
		for {
			if err := w.Copy("stdout", strings.NewReader(in.String())); err != nil {
				b.Fatal(err)
			}
			if st, err := os.Stat(LogFile(dir, id)); err != nil || st.Size() >= 100<<20 {
				break
			}
		}
		w.Close()
		benchLog.dir, benchLog.id = dir, id
	}
	return benchLog.dir, &Record{ID: id, Name: "bench", State: ContainerState{InspectState: InspectState{Status: "exited"}}}
}

// BenchmarkLogsFirstByte is the time logs takes to its first output on a
// 100 MB log: from the start, and with --tail 10 (which reads backwards
// from the end).
func BenchmarkLogsFirstByte(b *testing.B) {
	dir, r := makeBenchLog(b)
	st, _ := os.Stat(LogFile(dir, r.ID))
	b.Logf("log of %d MB", st.Size()>>20)
	rt := &container.Runtime{Root: b.TempDir()}
	for _, c := range []struct {
		name string
		tail int
	}{{"all", -1}, {"tail10", 10}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				err := Logs(dir, rt, r, LogsOptions{Tail: c.tail}, firstByte{}, firstByte{})
				if !errors.Is(err, errFirstByte) {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLogsTail10Whole is the whole of logs --tail 10 on 100 MB.
func BenchmarkLogsTail10Whole(b *testing.B) {
	dir, r := makeBenchLog(b)
	rt := &container.Runtime{Root: b.TempDir()}
	for i := 0; i < b.N; i++ {
		var out bytes.Buffer
		if err := Logs(dir, rt, r, LogsOptions{Tail: 10}, &out, &out); err != nil || strings.Count(out.String(), "\n") != 10 {
			b.Fatalf("%v, %q", err, out.String())
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchLog.dir != "" {
		os.RemoveAll(benchLog.dir)
	}
	os.Exit(code)
}

// BenchmarkLogsAll is the whole of logs of 100 MB, to a discarding writer.
func BenchmarkLogsAll(b *testing.B) {
	dir, r := makeBenchLog(b)
	rt := &container.Runtime{Root: b.TempDir()}
	st, _ := os.Stat(LogFile(dir, r.ID))
	b.SetBytes(st.Size())
	for i := 0; i < b.N; i++ {
		if err := Logs(dir, rt, r, LogsOptions{Tail: -1}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
