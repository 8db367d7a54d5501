package jsonlog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// writeLines writes lines to w, line i at t0+i seconds, odd ones on stderr.
func writeLines(t *testing.T, w *Writer, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		stream := "stdout"
		if i%2 == 1 {
			stream = "stderr"
		}
		if err := w.write(stream, []byte(fmt.Sprintf("line %d \"q\" \\ \t\n", i)), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func want(i int) string { return fmt.Sprintf("line %d \"q\" \\ \t\n", i) }

func collect(t *testing.T, path string, c ReadConfig) []Entry {
	t.Helper()
	var got []Entry
	err := Read(path, c, func(e Entry) error {
		e.Log = append([]byte(nil), e.Log...)
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func checkRange(t *testing.T, what string, got []Entry, from, to int) {
	t.Helper()
	if len(got) != to-from {
		t.Fatalf("%s: %d entries, want lines %d to %d", what, len(got), from, to-1)
	}
	for k, e := range got {
		i := from + k
		stream := map[bool]string{false: "stdout", true: "stderr"}[i%2 == 1]
		if string(e.Log) != want(i) || e.Stream != stream || !e.Time.Equal(t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("%s: entry %d = %q %s %v, want %q %s", what, k, e.Log, e.Stream, e.Time, want(i), stream)
		}
	}
}

func rotatedLog(t *testing.T, n int) string {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := Open(path, Options{MaxSize: 2000, MaxFile: 100})
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, w, 0, n)
	w.Close()
	if _, err := os.Stat(path + ".3"); n >= 200 && err != nil {
		t.Fatalf("want a log rotated at least three times: %v", err)
	}
	return path
}

func TestReadAllAcrossRotation(t *testing.T) {
	path := rotatedLog(t, 300)
	checkRange(t, "all", collect(t, path, ReadConfig{Tail: -1}), 0, 300)
}

func TestReadTail(t *testing.T) {
	path := rotatedLog(t, 300)
	for _, n := range []int{0, 1, 5, 40, 150, 299, 300, 1000} {
		from := max(300-n, 0)
		checkRange(t, fmt.Sprintf("tail %d", n), collect(t, path, ReadConfig{Tail: n}), from, 300)
	}
}

func TestReadTailPartialLastLine(t *testing.T) {
	path := rotatedLog(t, 20)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"log":"half a li`) // the writer mid-write
	f.Close()
	checkRange(t, "tail 3 with a line half written", collect(t, path, ReadConfig{Tail: 3}), 17, 20)
	checkRange(t, "all with a line half written", collect(t, path, ReadConfig{Tail: -1}), 0, 20)
}

func TestReadSinceUntil(t *testing.T) {
	path := rotatedLog(t, 300)
	got := collect(t, path, ReadConfig{Tail: -1, Since: t0.Add(100 * time.Second), Until: t0.Add(200 * time.Second)})
	checkRange(t, "since 100s until 200s", got, 100, 200)
	got = collect(t, path, ReadConfig{Tail: 10, Since: t0.Add(295 * time.Second)})
	checkRange(t, "tail 10 since 295s", got, 295, 300)
}

// A Docker-written line, with fields escaped and trimmed time digits,
// reads the same.
func TestReadDockerShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	os.WriteFile(path, []byte(`{"log":"caf\u00e9 \u003cb\u003e\n","stream":"stderr","time":"2026-01-02T15:04:05.1Z"}`+"\n"+
		`{"stream":"stdout","log":"reordered\n","time":"2026-01-02T15:04:06Z"}`+"\n"+
		"not json\n"), 0o600)
	got := collect(t, path, ReadConfig{Tail: -1})
	if len(got) != 2 || string(got[0].Log) != "café <b>\n" || got[0].Stream != "stderr" ||
		string(got[1].Log) != "reordered\n" || got[1].Stream != "stdout" || got[1].Time.Second() != 6 {
		t.Errorf("read %+v", got)
	}
}

// Follow reads what a writer adds while it rotates, every line once and
// in order, and returns when Running says the writer is done.
func TestFollowAcrossRotation(t *testing.T) {
	for _, tc := range []struct {
		maxFile int
		poll    time.Duration
	}{{100, time.Millisecond}, {100, 30 * time.Millisecond}, {1, time.Millisecond}} {
		maxFile := tc.maxFile
		// A slow poll sleeps through several rotations at once.
		t.Run(fmt.Sprintf("max-file=%d,poll=%v", maxFile, tc.poll), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			// With max-file 1 lines are truncated away: keep the file
			// big enough that the follower, polling often, sees each.
			size := int64(2000)
			if maxFile == 1 {
				size = 1 << 20
			}
			w, err := Open(path, Options{MaxSize: size, MaxFile: maxFile})
			if err != nil {
				t.Fatal(err)
			}
			writeLines(t, w, 0, 10)
			var done atomic.Bool
			// The writer goes on once the follow has read what is there
			// (its first look at Running), so its tail is lines 5 to 9.
			started := make(chan struct{})
			var once sync.Once
			go func() {
				<-started
				for i := 10; i < 400; i += 10 {
					writeLines(t, w, i, i+10)
					time.Sleep(time.Millisecond)
				}
				done.Store(true)
			}()
			got := collect(t, path, ReadConfig{Tail: 5, Follow: true, Poll: tc.poll, Running: func() bool {
				once.Do(func() { close(started) })
				return !done.Load()
			}})
			w.Close()
			checkRange(t, "follow", got, 5, 400)
		})
	}
}

func TestFollowStopsWhenNotRunning(t *testing.T) {
	path := rotatedLog(t, 20)
	// Were it to go on, the test would hang to its timeout.
	got := collect(t, path, ReadConfig{Tail: -1, Follow: true, Running: func() bool { return false }})
	checkRange(t, "follow of an exited container", got, 0, 20)
}

func TestReadNoLog(t *testing.T) {
	err := Read(filepath.Join(t.TempDir(), "none-json.log"), ReadConfig{Tail: -1}, func(Entry) error { return nil })
	if err == nil || !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("read of a missing log: %v", err)
	}
}

// The hand-cut parse reads what encoding/json reads, escapes included.
func TestParseMatchesEncodingJSON(t *testing.T) {
	var all strings.Builder
	for c := rune(0); c < 0x80; c++ {
		all.WriteRune(c)
	}
	texts := []string{"plain\n", "", all.String(), "café ✓ 😀 <a&b>\n", "bad utf8 \xff\xfe\n", "\\u0041 not an escape\n"}
	lines := []string{
		`{"log":"pair \ud83d\ude00 lone \ud83d x \u00E9\/\n","stream":"stdout","time":"2026-01-02T15:04:05Z"}`,
		`{"log":"bad \q escape","stream":"stdout","time":"2026-01-02T15:04:05Z"}`,
		`{"log":"raw " quote","stream":"stdout","time":"2026-01-02T15:04:05Z"}`,
	}
	for _, text := range texts {
		b, err := json.Marshal(entry{Log: text, Stream: "stderr", Time: "2026-01-02T15:04:05.000000001Z"})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	var scratch []byte
	for _, line := range lines {
		var e entry
		jerr := json.Unmarshal([]byte(line), &e)
		got, ok := parse([]byte(line+"\n"), &scratch)
		if ok != (jerr == nil) || ok && (string(got.Log) != e.Log || got.Stream != e.Stream) {
			t.Errorf("%s: parse %q %v, encoding/json %q %v", line, got.Log, ok, e.Log, jerr)
		}
	}
}
