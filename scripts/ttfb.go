//go:build ignore

// ttfb measures how long commands take to print their first byte (on
// stdout or stderr), and to finish: `go run scripts/ttfb.go [-first] -runs
// N -- NAME=CMD...` runs each command N times, round by round so a noisy
// machine's drift falls on all of them alike, and prints the medians as
// a markdown table (ms). A command is split on spaces; no shell runs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

func main() {
	runs := flag.Int("runs", 30, "runs of each command")
	warmup := flag.Int("warmup", 3, "runs of each command not counted")
	firstOnly := flag.Bool("first", false, "kill each command at its first byte (no time to its end)")
	flag.Parse()
	type cmd struct {
		name       string
		argv       []string
		first, all []time.Duration
	}
	var cmds []*cmd
	for _, a := range flag.Args() {
		name, line, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "ttfb: %q: want NAME=COMMAND\n", a)
			os.Exit(2)
		}
		cmds = append(cmds, &cmd{name: name, argv: strings.Fields(line)})
	}
	for i := 0; i < *warmup+*runs; i++ {
		for _, c := range cmds {
			first, all, err := once(c.argv, *firstOnly)
			if err != nil {
				fmt.Fprintf(os.Stderr, "ttfb: %s: %v\n", c.name, err)
				os.Exit(1)
			}
			if i >= *warmup {
				c.first, c.all = append(c.first, first), append(c.all, all)
			}
		}
	}
	fmt.Println("| command | first byte, median (ms) | first byte, fastest (ms) | to its end, median (ms) |")
	fmt.Println("|---|---|---|---|")
	for _, c := range cmds {
		end := fmt.Sprintf("%.1f", ms(median(c.all)))
		if *firstOnly {
			end = "not measured"
		}
		fmt.Printf("| %s | %.1f | %.1f | %s |\n", c.name, ms(median(c.first)), ms(fastest(c.first)), end)
	}
}

// once runs argv with its stdout and stderr on one pipe, read to the end.
// With firstOnly it kills the command at its first byte.
func once(argv []string, firstOnly bool) (first, all time.Duration, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	c := exec.Command(argv[0], argv[1:]...)
	c.Stdout, c.Stderr = w, w
	start := time.Now()
	if err := c.Start(); err != nil {
		return 0, 0, err
	}
	w.Close()
	b := make([]byte, 64<<10)
	n, err := r.Read(b)
	first = time.Since(start)
	if n == 0 {
		return 0, 0, fmt.Errorf("printed nothing: %v", err)
	}
	if firstOnly {
		c.Process.Kill()
		r.Close()
		c.Wait()
		return first, 0, nil
	}
	io.Copy(io.Discard, r)
	r.Close()
	if err := c.Wait(); err != nil {
		return 0, 0, err
	}
	return first, time.Since(start), nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func fastest(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = min(m, x)
	}
	return m
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
