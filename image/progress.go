package image

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress reports a pull as Docker does. On a terminal each layer has a
// line of its own that is redrawn in place as the layer moves from
// waiting to downloading (with a bar) to complete. Anywhere else (a log,
// a pipe, a test's buffer) a layer gets one plain line when it is done:
// redraws and bars would only garble a file.
type progress struct {
	w   io.Writer
	tty bool

	mu    sync.Mutex
	lines int            // lines written so far (tty)
	row   map[string]int // a layer's line, counted from the first (tty)
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, tty: IsTerminal(w), row: map[string]int{}}
}

// IsTerminal says whether w is a file on a terminal, as a pull's progress
// writer: that is where the redrawn bars go.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (p *progress) quiet() bool { return p.w == io.Discard }

// linef writes a line of its own, below every layer's.
func (p *progress) linef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
	p.lines++
}

// layer sets the status of layer id. A final status ("Pull complete",
// "Already exists") is the one line a layer gets off a terminal; on a
// terminal every status redraws the layer's line.
func (p *progress) layer(id, status string, final bool) {
	if p.quiet() || (!p.tty && !final) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	line := id + ": " + status
	if !p.tty {
		fmt.Fprintln(p.w, line)
		p.lines++
		return
	}
	i, ok := p.row[id]
	if !ok {
		p.row[id] = p.lines
		fmt.Fprintf(p.w, "%s\n", line)
		p.lines++
		return
	}
	// Up to the layer's line, clear it, write, and back down below the
	// last line.
	up := p.lines - i
	fmt.Fprintf(p.w, "\x1b[%dA\r\x1b[2K%s\x1b[%dB\r", up, line, up)
}

// counter reports a layer's bytes as they arrive: a bar against total
// (the compressed size the manifest gives), at most ten times a second.
func (p *progress) counter(id string, total int64, r io.Reader) io.Reader {
	if p.quiet() || !p.tty {
		return r
	}
	return &countingReader{r: r, p: p, id: id, total: total}
}

type countingReader struct {
	r     io.Reader
	p     *progress
	id    string
	total int64
	n     int64
	next  time.Time
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if now := time.Now(); now.After(c.next) || (err == io.EOF && c.n > 0) {
		c.p.layer(c.id, "Downloading "+bar(c.n, c.total), false)
		c.next = now.Add(100 * time.Millisecond)
	}
	return n, err
}

// bar is Docker's "[=====>     ] 1.2MB/3.4MB"; without a total, the
// count alone.
func bar(n, total int64) string {
	if total <= 0 {
		return DecimalSize(n)
	}
	const width = 50
	done := int(float64(width) * float64(n) / float64(total))
	done = min(max(done, 0), width)
	arrow := strings.Repeat("=", done)
	if done < width {
		arrow += ">" + strings.Repeat(" ", width-done-1)
	}
	return "[" + arrow + "] " + DecimalSize(n) + "/" + DecimalSize(total)
}

// HumanSize is n in the largest unit of 1024 it reaches, with one
// decimal: "7.8 MB". sep goes between number and unit.
func HumanSize(n int64, sep string) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f%sGB", float64(n)/(1<<30), sep)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f%sMB", float64(n)/(1<<20), sep)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f%skB", float64(n)/(1<<10), sep)
	}
	return fmt.Sprintf("%d%sB", n, sep)
}

// DecimalSize is n as Docker's CLI prints sizes: units of 1000, three
// significant digits, no space: "7.8MB", "123kB", "1.23GB".
func DecimalSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	s := fmt.Sprintf("%.3g", f)
	if strings.Contains(s, "e") { // 1000 rounded up past 3 digits
		s = fmt.Sprintf("%.0f", f)
	}
	return s + units[i]
}
