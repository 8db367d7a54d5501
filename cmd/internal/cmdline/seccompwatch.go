package cmdline

import (
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/seccomp/watch"
)

// optionalValue is a flag that may stand alone (--seccomp-report) or take
// a value (--seccomp-report=FILE): Go's flag package treats a Value with
// IsBoolFlag as a switch, and still passes it what follows "=".
type optionalValue struct {
	set   bool
	value string
}

func (o *optionalValue) String() string { return o.value }
func (o *optionalValue) IsBoolFlag() bool {
	return true
}
func (o *optionalValue) Set(v string) error {
	o.set = true
	if v != "true" {
		o.value = v
	}
	return nil
}

// seccompWatchFlags are the run flags of the denial report and the
// recorder, in both the Docker and the runc form.
func seccompWatchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "seccomp-report", Value: &optionalValue{},
			Usage: "at exit, report each syscall the seccomp profile refused (to stderr, or as JSON to =FILE)"},
		&cli.StringFlag{Name: "seccomp-record", Usage: "write a minimal seccomp profile (Docker format) of the syscalls the container makes to `FILE`"},
		&cli.BoolFlag{Name: "seccomp-record-merge", Usage: "with --seccomp-record: add to the profile already in FILE"},
	}
}

// SeccompWatchRequest is what run's flags ask of the watch.
func SeccompWatchRequest(c *cli.Context) watch.Request {
	rep, _ := c.Generic("seccomp-report").(*optionalValue)
	r := watch.Request{Record: c.String("seccomp-record"), RecordMerge: c.Bool("seccomp-record-merge")}
	if rep != nil && rep.set {
		r.Report, r.ReportFile = true, rep.value
	}
	return r
}
