package jsonlog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// readEntries decodes every line of one file, failing on a line that is
// not one whole entry.
func readEntries(t *testing.T, path string) []entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var es []entry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: line %q is not an entry: %v", path, sc.Text(), err)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil {
			t.Fatalf("%s: time %q: %v", path, e.Time, err)
		}
		es = append(es, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return es
}

func TestCopyShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Copy("stdout", strings.NewReader("one\n\ntwo <&>\nno newline")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readEntries(t, path)
	want := []string{"one\n", "\n", "two <&>\n", "no newline"}
	if len(got) != len(want) {
		t.Fatalf("entries %+v, want logs %q", got, want)
	}
	for i, e := range got {
		if e.Log != want[i] || e.Stream != "stdout" {
			t.Errorf("entry %d = %+v, want log %q stream stdout", i, e, want[i])
		}
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), `{"log":"one\n","stream":"stdout","time":"`) {
		t.Errorf("file starts %q, not in Docker's field order", raw[:40])
	}
	if err := w.Copy("stdout", strings.NewReader("late\n")); err == nil {
		t.Error("Copy after Close succeeded")
	}
}

func TestLongLineSplit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 2*MaxLine+10) + "\n"
	if err := w.Copy("stderr", strings.NewReader(long+"short\n")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got := readEntries(t, path)
	if len(got) != 4 {
		t.Fatalf("%d entries, want 4 (three parts and one short line)", len(got))
	}
	var joined string
	for i, e := range got[:3] {
		if i < 2 && (len(e.Log) != MaxLine || strings.HasSuffix(e.Log, "\n")) {
			t.Errorf("part %d is %d bytes, newline %v; want %d, no newline", i, len(e.Log), strings.HasSuffix(e.Log, "\n"), MaxLine)
		}
		joined += e.Log
	}
	if joined != long || got[3].Log != "short\n" {
		t.Errorf("joined parts differ from the line written, or the next line is %q", got[3].Log)
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c-json.log")
	w, err := Open(path, Options{MaxSize: 1000, MaxFile: 3})
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&in, "line %03d\n", i)
	}
	if err := w.Copy("stdout", strings.NewReader(in.String())); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("%s.3 exists (err %v): more than max-file files kept", path, err)
	}
	var all []entry
	for _, p := range []string{path + ".2", path + ".1", path} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 1000+100 {
			t.Errorf("%s is %d bytes, max-size 1000", p, st.Size())
		}
		all = append(all, readEntries(t, p)...)
	}
	// The kept entries are the newest, in order, with none lost between files.
	last := 99
	for i := len(all) - 1; i >= 0; i-- {
		if want := fmt.Sprintf("line %03d\n", last); all[i].Log != want {
			t.Fatalf("entry %d from the end is %q, want %q", len(all)-1-i, all[i].Log, want)
		}
		last--
	}
	if last < 0 || len(all) < 3 {
		t.Errorf("kept %d entries: nothing was rotated away", len(all))
	}
}

func TestRotationTruncatesWithOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := Open(path, Options{MaxSize: 500, MaxFile: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Copy("stdout", strings.NewReader(strings.Repeat("abcdefgh\n", 200))); err != nil {
		t.Fatal(err)
	}
	w.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() >= 500+100 {
		t.Errorf("log is %d bytes with max-size 500 and one file", st.Size())
	}
	if _, err := os.Stat(path + ".1"); !os.IsNotExist(err) {
		t.Errorf("%s.1 made with max-file 1", path)
	}
	readEntries(t, path)
}

// slowLines yields each line in two reads, so two streams copied at once
// interleave mid-line if a writer does not keep lines whole.
type slowLines struct{ lines []string }

func (s *slowLines) Read(p []byte) (int, error) {
	if len(s.lines) == 0 {
		return 0, io.EOF
	}
	l := s.lines[0]
	half := len(l) / 2
	if half == 0 {
		half = len(l)
	}
	n := copy(p, l[:half])
	s.lines[0] = l[n:]
	if s.lines[0] == "" {
		s.lines = s.lines[1:]
	}
	return n, nil
}

func TestConcurrentStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := Open(path, Options{MaxSize: 64 << 10, MaxFile: 50})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	var wg sync.WaitGroup
	for _, stream := range []string{"stdout", "stderr"} {
		var lines []string
		for i := 0; i < n; i++ {
			lines = append(lines, fmt.Sprintf("%s %04d %s\n", stream, i, strings.Repeat("y", i%50)))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Copy(stream, &slowLines{lines: lines}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	w.Close()
	var all []entry
	for i := 49; i >= 1; i-- {
		if _, err := os.Stat(fmt.Sprintf("%s.%d", path, i)); err == nil {
			all = append(all, readEntries(t, fmt.Sprintf("%s.%d", path, i))...)
		}
	}
	all = append(all, readEntries(t, path)...)
	next := map[string]int{}
	for _, e := range all {
		var s string
		var i int
		if _, err := fmt.Sscanf(e.Log, "%s %d", &s, &i); err != nil || s != e.Stream {
			t.Fatalf("entry %+v: not one whole line of its stream", e)
		}
		if want := fmt.Sprintf("%s %04d %s\n", s, i, strings.Repeat("y", i%50)); e.Log != want || i != next[s] {
			t.Fatalf("entry %+v: want line %d of %s whole", e, next[s], s)
		}
		next[s]++
	}
	if next["stdout"] != n || next["stderr"] != n {
		t.Errorf("read %v lines, want %d of each", next, n)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(map[string]string{"max-size": "10m", "max-file": "3"})
	if err != nil || o.MaxSize != 10<<20 || o.MaxFile != 3 {
		t.Errorf("10m/3 = %+v, %v", o, err)
	}
	for in, want := range map[string]int64{"1k": 1024, "2KB": 2048, "1.5m": 3 << 19, "100": 100, "1g": 1 << 30, "7b": 7} {
		o, err := ParseOptions(map[string]string{"max-size": in})
		if err != nil || o.MaxSize != want || o.MaxFile != 1 {
			t.Errorf("max-size=%s = %+v, %v; want %d bytes, one file", in, o, err, want)
		}
	}
	for _, bad := range []map[string]string{
		{"max-size": "ten"},
		{"max-size": "10x"},
		{"max-size": "-1m"},
		{"max-size": "0"},
		{"max-file": "0", "max-size": "1m"},
		{"max-file": "two", "max-size": "1m"},
		{"max-file": "3"},
		{"compress": "true"},
	} {
		_, err := ParseOptions(bad)
		if err == nil {
			t.Errorf("%v accepted", bad)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, "log-opt") {
			t.Errorf("%v: error %q is not one line naming the option", bad, msg)
		}
		for k := range bad {
			if len(bad) == 1 && !strings.Contains(msg, k) {
				t.Errorf("%v: error %q does not name %s", bad, msg, k)
			}
		}
	}
}
