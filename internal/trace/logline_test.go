package trace

import (
	"testing"
	"time"
)

// The lines have logrus's shape, which runc writes and engines and
// scripts parse: fixed keys first in text, sorted keys in JSON, values
// quoted only when they need it.
func TestFormatLine(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 999, time.UTC)
	for _, c := range []struct {
		level, msg string
		json       bool
		fields     []string
		want       string
	}{
		{LevelDebug, "init: pivot_root", false, []string{"at", "3.21ms"},
			`time="2026-01-02T15:04:05Z" level=debug msg="init: pivot_root" at=3.21ms` + "\n"},
		{LevelError, `exec: "x": not found`, false, nil,
			`time="2026-01-02T15:04:05Z" level=error msg="exec: \"x\": not found"` + "\n"},
		{LevelWarning, "bare-word_1.0/+@^", false, []string{"z", "a b", "b", ""},
			`time="2026-01-02T15:04:05Z" level=warning msg=bare-word_1.0/+@^ b= z="a b"` + "\n"},
		{LevelDebug, "init: pivot_root", true, []string{"at", "3.21ms"},
			`{"at":"3.21ms","level":"debug","msg":"init: pivot_root","time":"2026-01-02T15:04:05Z"}` + "\n"},
		// A field can't replace a fixed key; HTML is escaped as logrus does.
		{LevelError, "a<b", true, []string{"level", "info"},
			`{"level":"error","msg":"a\u003cb","time":"2026-01-02T15:04:05Z"}` + "\n"},
	} {
		if got := string(FormatLine(now, c.level, c.msg, c.json, c.fields...)); got != c.want {
			t.Errorf("FormatLine(%q, %q, json=%v, %q)\n got %q\nwant %q", c.level, c.msg, c.json, c.fields, got, c.want)
		}
	}
}
