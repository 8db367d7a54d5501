package cmdline

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// A mistyped command or flag in Docker's form gets Docker's words and the
// nearest name: "'lgos' is not a minirun command" and "unknown flag:
// --nme", with "Did you mean ...?". runc's form keeps runc's words ("No
// help topic", "flag provided but not defined"), which engines and runc's
// own tests read.

// nearest is the candidate closest to typed: within an edit distance of
// two (a transposition counting one, as in "lgos") and shorter than typed
// itself (a one-letter typo has no near name), or one that typed is a
// prefix of; "" when none is that close. Ties go to the first listed.
func nearest(typed string, candidates []string) string {
	best, bestDist := "", min(3, len([]rune(typed)))
	for _, c := range candidates {
		d := editDistance(strings.ToLower(typed), strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || len(typed) < 2 {
		return best
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, typed) {
			return c
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours, one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// unknownCommand is the command word of args when it is none of cmds'
// (nor help): "" otherwise.
func unknownCommand(args []string, globals []cli.Flag, cmds []*cli.Command) string {
	i := skipFlags(args, 1, globals)
	if i >= len(args) {
		return ""
	}
	// An unknown global flag before it may have taken it as its value:
	// the flag is the error to report (urfave's parser does).
	for _, a := range args[1:i] {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if isFlag(a) && !hasFlag(globals, name) {
			return ""
		}
	}
	word := args[i]
	if word == "--" || word == "help" || word == "h" || findCommand(cmds, word) != nil {
		return ""
	}
	return word
}

// commandNames are the names a user may be pointed to.
func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return names
}

// notACommand is Docker's one line for an unknown command.
func notACommand(word string, cmds []*cli.Command) error {
	msg := fmt.Sprintf("'%s' is not a %s command.", word, progName())
	if s := nearest(word, commandNames(cmds)); s != "" {
		msg += fmt.Sprintf(" Did you mean '%s'?", s)
	}
	return usageError{fmt.Errorf("%s See '%s --help'", msg, progName())}
}

// usageError is a command line minirun can't parse: Docker's form exits
// 125 for it, as for any failure.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// dockerFlagError rewrites urfave's "flag provided but not defined: -nme"
// as Docker's "unknown flag: --nme", with the nearest visible flag of
// flags; any other error is returned as it is.
func dockerFlagError(err error, flags []cli.Flag) error {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	at := strings.Index(msg, undefined)
	if at < 0 {
		return err
	}
	name := strings.TrimSpace(msg[at+len(undefined):])
	typed := typedFlag(name)
	out := "unknown flag: " + typed
	if len(name) == 1 {
		out = fmt.Sprintf("unknown shorthand flag: '%s' in %s", name, typed)
	}
	var names []string
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		names = append(names, f.Names()...)
	}
	if s := nearest(name, names); s != "" {
		out += fmt.Sprintf(". Did you mean %s?", dashes(s))
	}
	return usageError{fmt.Errorf("%s", out)}
}

// typedFlag is the flag called name as the user typed it: "--nme" or
// "-z".
func typedFlag(name string) string {
	for _, a := range os.Args[1:] {
		if a == "--" {
			break
		}
		n, _, _ := strings.Cut(a, "=")
		if strings.HasPrefix(n, "-") && strings.TrimLeft(n, "-") == name {
			return n
		}
	}
	return dashes(name)
}

// dashes is how a flag name is written: -x, --long.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func hasFlag(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}
