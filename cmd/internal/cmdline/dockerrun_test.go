package cmdline

import (
	"fmt"
	"testing"

	"github.com/urfave/cli/v2"
)

// run's -v, --mount and --tmpfs keep each value whole, commas and all,
// once each (urfave/cli sets -v's long name from its short one).
func TestListFlags(t *testing.T) {
	var got [][]string
	app := &cli.App{Commands: []*cli.Command{{Name: "run", Flags: dockerRunFlags(), Action: func(c *cli.Context) error {
		got = [][]string{TakeList(c, "volume"), TakeList(c, "mount"), TakeList(c, "tmpfs")}
		return nil
	}}}}
	err := app.Run([]string{"minirun", "run", "-v", "a:/a:ro,nocopy", "-v", "/b:/b", "--mount", "type=tmpfs,dst=/t", "--tmpfs", "/r:size=1m,exec", "img"})
	want := "[[a:/a:ro,nocopy /b:/b] [type=tmpfs,dst=/t] [/r:size=1m,exec]]"
	if err != nil || fmt.Sprint(got) != want {
		t.Fatalf("got %v, %v; want %s", got, err, want)
	}
}
