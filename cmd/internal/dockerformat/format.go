// Package dockerformat prints Docker-style commands' --format: a Go
// template over each item, with the template functions Docker users
// write (json, join, split, upper, lower, title, pad, truncate,
// println); "table TEMPLATE" for aligned columns under a header; and
// "json" for one JSON object a line.
package dockerformat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"unicode"
)

// Funcs are the template functions a --format may use.
var Funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // "<none>" and "&&" as written
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSpace(b.String()), nil
	},
	"join":  strings.Join,
	"split": strings.Split,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"title": func(s string) string {
		r := []rune(s)
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		return string(r)
	},
	"pad": func(s string, left, right int) string {
		return strings.Repeat(" ", left) + s + strings.Repeat(" ", right)
	},
	"truncate": func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n])
		}
		return s
	},
	"println": func(a ...any) string { return fmt.Sprintln(a...) },
}

// Parse compiles a --format. A shell's literal \t and \n stand for a tab
// and a newline, as in Docker's CLI. "table " before a template asks for
// a header row and aligned columns.
func Parse(format string) (tmpl *template.Template, table bool, err error) {
	if rest, ok := strings.CutPrefix(format, "table"); ok && (rest == "" || rest[0] == ' ') {
		format, table = strings.TrimPrefix(rest, " "), true
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err = template.New("format").Funcs(Funcs).Parse(format)
	if err != nil {
		return nil, false, fmt.Errorf("--format: %w", err)
	}
	return tmpl, table, nil
}

// Printer writes items through a template, a line each.
type Printer struct {
	tmpl  *template.Template
	out   io.Writer
	buf   *bufio.Writer // stdout is unbuffered: one write per cell otherwise
	tw    *tabwriter.Writer
	table bool
}

// NewPrinter prints to w in format: "json" (the item's JSON), a
// template, or "table TEMPLATE", whose header is the template run over
// header (a value whose fields or methods give each column's title).
func NewPrinter(w io.Writer, format string, header any) (*Printer, error) {
	if format == "json" {
		format = "{{json .}}"
	}
	tmpl, table, err := Parse(format)
	if err != nil {
		return nil, err
	}
	p := &Printer{tmpl: tmpl, buf: bufio.NewWriterSize(w, 64<<10), table: table}
	p.out = p.buf
	if table {
		// Docker's column spacing: at least 10 wide, 3 spaces apart.
		p.tw = tabwriter.NewWriter(p.buf, 10, 1, 3, ' ', 0)
		p.out = p.tw
		if header != nil {
			if err := p.Print(header); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// Print writes one item and a newline.
func (p *Printer) Print(v any) error {
	var b bytes.Buffer
	if err := p.tmpl.Execute(&b, v); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	b.WriteByte('\n')
	_, err := p.out.Write(b.Bytes())
	return err
}

// Flush writes out what was printed (a table's rows, aligned).
func (p *Printer) Flush() error {
	if p.tw != nil {
		if err := p.tw.Flush(); err != nil {
			return err
		}
	}
	return p.buf.Flush()
}
