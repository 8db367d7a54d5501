//go:build mangen

package main

import (
	"fmt"
	"os"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/cmd/internal/mangen"
)

// Built with the mangen tag (make man), this program writes the man pages
// of its command line into the directory its argument names, and does
// nothing else. The shipped program is built without the tag and without
// urfave/cli's documentation code.
func init() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "mangen: usage: mangen DIR")
		os.Exit(2)
	}
	if err := mangen.Write(os.Args[1], cmdline.DocApp(commands())); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
