package image

import (
	"fmt"
	"io"
	"time"
)

// progress writes one line per event, and a line per second while a layer
// streams in, so a long pull shows it is alive without terminal tricks that
// would garble logs.
type progress struct{ w io.Writer }

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w}
}

func (p *progress) linef(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) counter(label string, r io.Reader) io.Reader {
	if p.w == io.Discard {
		return r
	}
	return &countingReader{r: r, p: p, label: label, next: time.Now().Add(time.Second)}
}

type countingReader struct {
	r     io.Reader
	p     *progress
	label string
	n     int64
	next  time.Time
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if now := time.Now(); now.After(c.next) {
		c.p.linef("%s: %s read", c.label, HumanSize(c.n, " "))
		c.next = now.Add(time.Second)
	}
	return n, err
}

func sizeNote(n int64) string {
	if n <= 0 {
		return ""
	}
	return " (" + HumanSize(n, " ") + ")"
}

// HumanSize is n in the largest unit of 1024 it reaches, with one
// decimal: "7.8 MB". sep goes between number and unit: a space in the
// progress lines, none in the `images` column, as docker images prints it.
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
