package trace

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// The log: where --log FILE sends minirun's messages, or stderr with
// --debug and no --log. Its lines have logrus's shape, the one runc writes
// and engines and scripts parse: in text,
//
//	time="2026-01-02T15:04:05Z" level=debug msg="init: pivot_root" at=3.21ms
//
// and with --log-format json one object a line, keys in sorted order:
//
//	{"at":"3.21ms","level":"debug","msg":"init: pivot_root","time":"2026-01-02T15:04:05Z"}
//
// containerd reads the last "error" line of a JSON log as the runtime's
// error. Each line is one write(2): the parent and the init write to the
// same file (O_APPEND) or pipe, and their lines must not mix.
var (
	logOut  *os.File
	logJSON bool
)

// The levels, as logrus spells them.
const (
	LevelDebug   = "debug"
	LevelWarning = "warning"
	LevelError   = "error"
)

// SetLog makes f the log, in JSON when json is set; nil: no log.
func SetLog(f *os.File, json bool) { logOut, logJSON = f, json }

// LogFile is the log and whether it is JSON, to hand to a child; nil when
// there is none.
func LogFile() (*os.File, bool) { return logOut, logJSON }

// Log writes msg at level to the log with the fields, given as key,
// value pairs. It reports false when there is no log.
func Log(level, msg string, fields ...string) bool {
	if logOut == nil {
		return false
	}
	_, _ = logOut.Write(FormatLine(time.Now(), level, msg, logJSON, fields...))
	return true
}

// FormatLine is one log line, ending in a newline.
func FormatLine(now time.Time, level, msg string, asJSON bool, fields ...string) []byte {
	ts := now.Format(time.RFC3339)
	if asJSON {
		m := map[string]string{"time": ts, "level": level, "msg": msg}
		for i := 0; i+1 < len(fields); i += 2 {
			if _, fixed := m[fields[i]]; !fixed {
				m[fields[i]] = fields[i+1]
			}
		}
		// A map of strings always encodes; its keys come out sorted.
		b, _ := json.Marshal(m)
		return append(b, '\n')
	}
	var b strings.Builder
	b.WriteString("time=" + logValue(ts) + " level=" + logValue(level) + " msg=" + logValue(msg))
	type kv struct{ k, v string }
	var extra []kv
	for i := 0; i+1 < len(fields); i += 2 {
		extra = append(extra, kv{fields[i], fields[i+1]})
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].k < extra[j].k })
	for _, f := range extra {
		b.WriteString(" " + f.k + "=" + logValue(f.v))
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

// logValue is v as the text format writes it: bare when it is made of
// letters, digits and -._/@^+ only, else quoted with Go's escapes.
func logValue(v string) string {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._/@^+", r)) {
			return fmt.Sprintf("%q", v)
		}
	}
	return v
}
