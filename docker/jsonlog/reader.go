package jsonlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Entry is one entry read back: Log is the text as written (a line with
// its "\n", or part of a split line without one). An Entry handed to
// Read's emit is valid only until emit returns: its Log is reused.
type Entry struct {
	Log    []byte
	Stream string
	Time   time.Time
}

// ReadConfig is what logs asks for.
type ReadConfig struct {
	Tail   int       // the last Tail entries only; < 0: all
	Since  time.Time // entries at or after; zero: from the first
	Until  time.Time // entries before; zero: to the last
	Follow bool      // then wait for more until Running says false
	// Running tells Follow whether the container may still write; Read
	// polls it when it has read all there is. Once it says false, Read
	// reads what was written meanwhile and returns.
	Running func() bool
	// Poll is how long a follow waits at the end of the log before it
	// looks again; 0 is 100ms.
	Poll time.Duration
}

// TimeLayout is how -t prints an entry's time: RFC 3339 with nine
// digits, as Docker does, so the column lines up.
const TimeLayout = timeLayout

// Read hands emit the entries of the log at path and its rotated files
// (path.N ... path.1, then path), oldest first, as c selects them. An
// error of emit ends the read and is returned. A line of the file that
// is not an entry (a file cut short) is skipped.
func Read(path string, c ReadConfig, emit func(Entry) error) error {
	if c.Poll == 0 {
		c.Poll = 100 * time.Millisecond
	}
	live, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	defer func() { live.Close() }()
	// Listed after the live file is open: a rotation in between then
	// shows the open file among the rotated ones, where it is left out,
	// rather than hide the file it made.
	files := rotated(path)
	if st, err := live.Stat(); err == nil {
		for i, p := range files {
			if pst, err := os.Stat(p); err == nil && os.SameFile(st, pst) {
				files = files[:i]
				break
			}
		}
	}
	filter := func(e Entry) error {
		if !c.Since.IsZero() && e.Time.Before(c.Since) {
			return nil
		}
		if !c.Until.IsZero() && !e.Time.Before(c.Until) {
			return nil
		}
		return emit(e)
	}
	var pos int64 // where the live file is read from
	if c.Tail >= 0 {
		pos, err = tail(files, live, c.Tail, filter)
		if err != nil {
			return err
		}
	} else {
		for _, p := range files {
			if err := readFile(p, filter); err != nil {
				return err
			}
		}
	}
	if _, err := live.Seek(pos, io.SeekStart); err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	f := &follower{path: path, f: live, br: bufio.NewReaderSize(live, 64<<10)}
	defer func() { live = f.f }()
	if err := f.drain(filter, false); err != nil {
		return err
	}
	if !c.Follow {
		return nil
	}
	for {
		if !c.Until.IsZero() && time.Now().After(c.Until) {
			return nil
		}
		running := c.Running == nil || c.Running()
		if err := f.drain(filter, true); err != nil {
			return err
		}
		if !running {
			return nil
		}
		time.Sleep(c.Poll)
	}
}

// rotated lists path's rotated files, oldest (highest number) first. It
// lists the directory rather than stat path.1, path.2, ... in turn, so a
// rotation under way, which leaves a gap for a moment, hides none.
func rotated(path string) []string {
	dir, base := filepath.Split(path)
	ents, err := os.ReadDir(filepath.Clean(dir + "."))
	if err != nil {
		return nil
	}
	var nums []int
	for _, e := range ents {
		suffix, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(suffix); err == nil && n > 0 && strconv.Itoa(n) == suffix {
			nums = append(nums, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	files := make([]string, len(nums))
	for i, n := range nums {
		files[i] = path + "." + strconv.Itoa(n)
	}
	return files
}

func readFile(path string, emit func(Entry) error) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // rotated away since it was listed
		}
		return fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	return readLines(bufio.NewReaderSize(f, 64<<10), emit)
}

// readLines emits the whole lines of br to its end; a last line without
// its newline is not yet a whole entry and is dropped.
func readLines(br *bufio.Reader, emit func(Entry) error) error {
	var scratch []byte
	for {
		line, err := readLine(br)
		if len(line) > 0 && line[len(line)-1] == '\n' {
			if e, ok := parse(line, &scratch); ok {
				if err := emit(e); err != nil {
					return err
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read log: %w", err)
		}
	}
}

// readLine is ReadSlice('\n') that also takes lines longer than the
// buffer (an entry of MaxLine bytes, all escaped, is longer).
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = br.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

var (
	logPrefix    = []byte(`{"log":"`)
	streamPrefix = []byte(`","stream":"`)
	timePrefix   = []byte(`","time":"`)
)

// parse reads one line of the file. Lines in the writer's (and Docker's)
// field order are cut apart by hand and their text unescaped into scratch,
// several times faster than encoding/json, which reads anything else.
// The entry's Log may point into line or scratch: it is valid until the
// next parse.
func parse(line []byte, scratch *[]byte) (Entry, bool) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	if bytes.HasPrefix(line, logPrefix) && bytes.HasSuffix(line, []byte(`"}`)) {
		rest := line[len(logPrefix) : len(line)-2]
		ti := bytes.LastIndex(rest, timePrefix)
		si := bytes.LastIndex(rest[:max(ti, 0)], streamPrefix)
		if ti > 0 && si >= 0 {
			t, err := time.Parse(time.RFC3339Nano, string(rest[ti+len(timePrefix):]))
			stream := rest[si+len(streamPrefix) : ti]
			if err == nil && bytes.IndexByte(stream, '\\') < 0 {
				if text, ok := unescape(rest[:si], scratch); ok {
					return Entry{Log: text, Stream: string(stream), Time: t}, true
				}
			}
		}
	}
	var e entry
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, e.Time)
	if err != nil {
		return Entry{}, false
	}
	return Entry{Log: []byte(e.Log), Stream: e.Stream, Time: t}, true
}

// unescape undoes a JSON string's escapes (the quotes already cut off).
// Text without any is returned as it is. ok is false for what is not a
// valid JSON string body (a quote, a control character, a bad escape).
func unescape(b []byte, scratch *[]byte) ([]byte, bool) {
	i := bytes.IndexByte(b, '\\')
	if i < 0 {
		return b, bytes.IndexByte(b, '"') < 0
	}
	out := append((*scratch)[:0], b[:i]...)
	for i < len(b) {
		c := b[i]
		if c != '\\' {
			if c == '"' || c < 0x20 {
				return nil, false
			}
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return nil, false
		}
		switch b[i+1] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case '"', '\\', '/':
			out = append(out, b[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			r, n := unicodeEscape(b[i:])
			if n == 0 {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
			i += n
			continue
		default:
			return nil, false
		}
		i += 2
	}
	*scratch = out
	return out, true
}

// unicodeEscape reads \uXXXX at the start of b, or a surrogate pair of
// two, as encoding/json does: a lone surrogate is U+FFFD. n is how many
// bytes it took; 0 for a malformed escape.
func unicodeEscape(b []byte) (rune, int) {
	r := hex4(b)
	if r < 0 {
		return 0, 0
	}
	if utf16.IsSurrogate(r) {
		if r2 := hex4(b[6:]); r2 >= 0 && len(b) >= 12 && b[6] == '\\' {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

// hex4 is the XXXX of \uXXXX at b's start, or -1.
func hex4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// tail emits the last n entries of files and live, reading backwards from
// the end so a long log costs no more than what is printed. It returns
// where in the live file its last whole line ends: where a follow goes on
// from.
func tail(files []string, live *os.File, n int, emit func(Entry) error) (int64, error) {
	st, err := live.Stat()
	if err != nil {
		return 0, fmt.Errorf("read log: %w", err)
	}
	b, got, end, err := lastLines(live, st.Size(), n)
	if err != nil {
		return 0, err
	}
	chunks := [][]byte{b} // newest first, each of whole lines
	for i := len(files) - 1; i >= 0 && got < n; i-- {
		f, err := os.Open(files[i])
		if err != nil {
			continue // rotated away meanwhile
		}
		var fb []byte
		var fgot int
		fst, err := f.Stat()
		if err == nil {
			fb, fgot, _, err = lastLines(f, fst.Size(), n-got)
		}
		f.Close()
		if err != nil {
			return 0, err
		}
		chunks, got = append(chunks, fb), got+fgot
	}
	for i := len(chunks) - 1; i >= 0; i-- {
		if err := readLines(bufio.NewReader(bytes.NewReader(chunks[i])), emit); err != nil {
			return 0, err
		}
	}
	return end, nil
}

// lastLines reads f backwards from size in blocks until it has its last n
// whole lines (or all of them), and returns them, how many, and where the
// last whole line ends (a line still being written is left out).
func lastLines(f *os.File, size int64, n int) ([]byte, int, int64, error) {
	const block = 64 << 10
	var buf []byte
	off, end := size, int64(-1)
	for off > 0 {
		step := min(int64(block), off)
		off -= step
		b := make([]byte, step)
		if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, 0, fmt.Errorf("read log: %w", err)
		}
		buf = append(b, buf...)
		if end < 0 {
			nl := bytes.LastIndexByte(buf, '\n')
			if nl < 0 {
				continue // all of it one unfinished line, so far
			}
			end = off + int64(nl) + 1
		}
		whole := buf[:end-off]
		// The newline before each of the last n lines marks its start.
		i := len(whole) - 1
		got := 0
		for got < n {
			j := bytes.LastIndexByte(whole[:i], '\n')
			if j < 0 {
				break
			}
			i, got = j, got+1
		}
		if got == n {
			return whole[i+1:], n, end, nil
		}
	}
	if end < 0 {
		return nil, 0, 0, nil
	}
	whole := buf[:end]
	return whole, bytes.Count(whole, []byte("\n")), end, nil
}

// follower reads the live file on from pos, and on into the file that
// replaces it when it is rotated.
type follower struct {
	path    string
	f       *os.File
	br      *bufio.Reader
	partial []byte // a line read only in part: the writer is mid-write
	scratch []byte // parse's
}

// drain emits the whole lines written since it last looked. With rotate
// it then looks for a rotation: a truncated file is read again from its
// start, a renamed one is read to its end and the new one opened.
func (fl *follower) drain(emit func(Entry) error, rotate bool) error {
	for {
		pos, err := fl.readAvailable(emit)
		if err != nil || !rotate {
			return err
		}
		st, err := fl.f.Stat()
		if err != nil {
			return fmt.Errorf("read log: %w", err)
		}
		if st.Size() < pos { // truncated: max-file 1
			if _, err := fl.f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("read log: %w", err)
			}
			fl.br.Reset(fl.f)
			fl.partial = nil
			continue
		}
		next, ok := fl.next(st)
		if !ok {
			return nil // not rotated, or the new file not there yet
		}
		// Renamed away: the writer has moved on, so what is in it now is
		// all there will be.
		if _, err := fl.readAvailable(emit); err != nil {
			return err
		}
		nf, err := os.Open(next)
		if err != nil {
			return nil // looked again at the next poll
		}
		fl.f.Close()
		fl.f = nf
		fl.br.Reset(nf)
		fl.partial = nil
	}
}

// next is the file written after the one open (st), found among the
// rotated files by identity, so a follow that slept through two rotations
// reads the file between them too. ok is false while st is still the
// live file, or when no newer file is there yet.
func (fl *follower) next(st os.FileInfo) (string, bool) {
	all := append(rotated(fl.path), fl.path)
	for i, p := range all {
		pst, err := os.Stat(p)
		if err != nil || !os.SameFile(st, pst) {
			continue
		}
		if i+1 == len(all) {
			return "", false
		}
		return all[i+1], true
	}
	// Not found: a rotation is moving the files (look again at the next
	// poll), or it removed this one, the oldest, and all there are are
	// newer.
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Nlink > 0 {
		return "", false
	}
	if _, err := os.Stat(all[0]); err != nil {
		return "", false
	}
	return all[0], true
}

// readAvailable emits the whole lines up to the file's end now and
// returns the file offset it has read to.
func (fl *follower) readAvailable(emit func(Entry) error) (int64, error) {
	for {
		line, err := readLine(fl.br)
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				fl.partial = append(fl.partial, line...)
			} else {
				if len(fl.partial) > 0 {
					line = append(fl.partial, line...)
					fl.partial = nil
				}
				if e, ok := parse(line, &fl.scratch); ok {
					if err := emit(e); err != nil {
						return 0, err
					}
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("read log: %w", err)
			}
			off, serr := fl.f.Seek(0, io.SeekCurrent)
			if serr != nil {
				return 0, fmt.Errorf("read log: %w", serr)
			}
			return off - int64(fl.br.Buffered()), nil
		}
	}
}
