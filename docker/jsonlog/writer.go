// Package jsonlog keeps a container's output as Docker's json-file log
// driver does: one JSON object per line, {"log":...,"stream":...,"time":...},
// so stdout and stderr stay apart, in order, each entry with its time, and
// a tool written for Docker's files reads ours. The file is bounded by
// rotation (max-size, max-file).
package jsonlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// MaxLine is the longest entry: a longer line is split into entries of
// this size, all but the last without a trailing newline, as Docker splits
// at 16 KiB (a reader joins entries until one ends with "\n").
const MaxLine = 16 * 1024

// timeLayout has a fixed nine-digit fraction, so every entry's time has
// one width; time.Parse with RFC3339Nano reads it, as it reads Docker's.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Options bound the log: MaxSize in bytes (0: unbounded), and MaxFile
// files in all, the live one included (1: the live file is truncated when
// it passes MaxSize).
type Options struct {
	MaxSize int64
	MaxFile int
}

// ParseOptions reads --log-opt's max-size and max-file, in Docker's units
// (max-size=10m is 10 MiB; k, m, g, t, with an optional b, any case).
func ParseOptions(opts map[string]string) (Options, error) {
	o := Options{MaxFile: 1}
	for k, v := range opts {
		switch k {
		case "max-size":
			n, err := parseSize(v)
			if err != nil {
				return Options{}, fmt.Errorf("log-opt max-size=%s: %w", v, err)
			}
			o.MaxSize = n
		case "max-file":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return Options{}, fmt.Errorf("log-opt max-file=%s: want a whole number of files, at least 1", v)
			}
			o.MaxFile = n
		default:
			return Options{}, fmt.Errorf("log-opt %s: unknown option for the json-file log driver (max-size, max-file)", k)
		}
	}
	if o.MaxFile > 1 && o.MaxSize == 0 {
		return Options{}, fmt.Errorf("log-opt max-file=%d: needs max-size too, or no file would ever rotate", o.MaxFile)
	}
	return o, nil
}

// parseSize reads Docker's RAM units: binary multiples, so 1k is 1024.
func parseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], s[i:]
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, errors.New("want a size such as 10m (b, k, m, g, t)")
	}
	mult := int64(1)
	switch lower(unit) {
	case "", "b":
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	case "t", "tb", "tib":
		mult = 1 << 40
	default:
		return 0, fmt.Errorf("unknown unit %q (b, k, m, g, t)", unit)
	}
	n := int64(f * float64(mult))
	if n <= 0 {
		return 0, errors.New("must be more than 0 bytes")
	}
	return n, nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Writer appends entries to a container's log, rotating it. One lock
// orders all writes, so entries of stdout and stderr copied at once stay
// whole and in the order they were read.
type Writer struct {
	mu   sync.Mutex
	path string
	o    Options
	f    *os.File
	size int64
	buf  []byte
	now  func() time.Time // time.Now; tests fix it
}

// Open opens (or creates) the log at path for appending; an existing
// log is kept, as a restarted container's output follows its earlier
// output.
func Open(path string, o Options) (*Writer, error) {
	if o.MaxFile < 1 {
		o.MaxFile = 1
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &Writer{path: path, o: o, f: f, size: st.Size(), now: time.Now}, nil
}

// Copy reads r to its end and writes one entry per line to the log under
// stream ("stdout" or "stderr"). A line longer than MaxLine is split; a
// last line without a newline is written as it is. It returns the first
// error reading r or writing the log (r's EOF is no error).
func (w *Writer) Copy(stream string, r io.Reader) error {
	br := bufio.NewReaderSize(r, MaxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if werr := w.write(stream, line, w.now()); werr != nil {
				return werr
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return nil
		default:
			return fmt.Errorf("read container %s: %w", stream, err)
		}
	}
}

// entry is one line of the file; its field order is Docker's.
type entry struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
}

func (w *Writer) write(stream string, line []byte, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("write log: writer closed")
	}
	b, err := json.Marshal(entry{Log: string(line), Stream: stream, Time: t.UTC().Format(timeLayout)})
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	w.buf = append(append(w.buf[:0], b...), '\n')
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("write log %s: %w", w.path, err)
	}
	if w.o.MaxSize > 0 && w.size >= w.o.MaxSize {
		return w.rotate()
	}
	return nil
}

// rotate moves path to path.1, path.1 to path.2 and so on, dropping the
// oldest, so at most MaxFile files are kept; with MaxFile 1 it truncates.
// The live file is renamed, not copied, so a reader following it keeps its
// handle and finishes the old file before it opens the new one.
func (w *Writer) rotate() error {
	if w.o.MaxFile <= 1 {
		if err := w.f.Truncate(0); err != nil {
			return fmt.Errorf("rotate log %s: %w", w.path, err)
		}
		w.size = 0
		return nil
	}
	if err := os.Remove(w.path + "." + strconv.Itoa(w.o.MaxFile-1)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	for i := w.o.MaxFile - 2; i >= 1; i-- {
		from := w.path + "." + strconv.Itoa(i)
		if err := os.Rename(from, w.path+"."+strconv.Itoa(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate log %s: %w", w.path, err)
		}
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	w.f.Close()
	w.f, w.size = f, 0
	return nil
}

// Close closes the log; a Copy still running then fails its next write.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
