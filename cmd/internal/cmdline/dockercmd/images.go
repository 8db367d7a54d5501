package dockercmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/image"
)

// Images is `images [OPTIONS] [REPOSITORY[:TAG]]`, with docker images'
// columns, -q, --no-trunc and --format.
func Images() *cli.Command {
	return &cli.Command{
		Name:      "images",
		Usage:     "list stored images",
		ArgsUsage: "[REPOSITORY[:TAG]]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print image IDs only"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "print whole image IDs"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "all images (minirun keeps no intermediate ones)"},
			&cli.StringFlag{Name: "format", Usage: "a Go template over .Repository .Tag .ID .CreatedAt .CreatedSince .Size, 'table TEMPLATE' or 'json'"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return fmt.Errorf("images: want at most 1 argument: images [REPOSITORY[:TAG]]")
			}
			s, err := openImageStore(c)
			if err != nil {
				return err
			}
			imgs, err := s.List()
			if err != nil {
				return err
			}
			rows := imageRows(imgs, c.Args().First(), c.Bool("no-trunc"), time.Now())
			if c.Bool("quiet") {
				seen := map[string]bool{}
				for _, r := range rows {
					if !seen[r.ID] {
						seen[r.ID] = true
						fmt.Println(r.ID)
					}
				}
				return nil
			}
			return printImages(os.Stdout, rows, c.String("format"))
		},
	}
}

// imageRow is a line of `images`, its fields the names --format knows.
type imageRow struct {
	Repository   string
	Tag          string
	Digest       string
	ID           string
	CreatedAt    string
	CreatedSince string
	Size         string
	created      time.Time
}

// imageRows are imgs as `images` lists them, newest first; filter, when
// not "", keeps the repository (or repository:tag) it names.
func imageRows(imgs []image.Image, filter string, noTrunc bool, now time.Time) []imageRow {
	var rows []imageRow
	for _, img := range imgs {
		repo, tag := image.SplitName(img.Name)
		digest := "<none>"
		if strings.HasPrefix(tag, "sha256:") {
			digest, tag = tag, "<none>"
		}
		if filter != "" && filter != repo && filter != repo+":"+tag {
			continue
		}
		id := img.ID
		if !noTrunc {
			id = imageShortID(id)
		}
		rows = append(rows, imageRow{
			Repository: repo, Tag: tag, Digest: digest, ID: id,
			CreatedAt:    time.Unix(img.Created.Unix(), 0).String(),
			CreatedSince: imageAge(now.Sub(img.Created)) + " ago",
			Size:         image.DecimalSize(img.Size),
			created:      img.Created,
		})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].created.After(rows[j].created) })
	return rows
}

// imageHeaders are the column titles of a `table` format's fields.
var imageHeaders = map[string]string{
	"Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "ID": "IMAGE ID",
	"CreatedAt": "CREATED AT", "CreatedSince": "CREATED", "Size": "SIZE",
}

const defaultImagesFormat = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

// printImages writes rows as format says: "" is Docker's table, "json"
// a JSON object a line, "table T" T under its column titles, aligned,
// and anything else a Go template per row.
func printImages(w io.Writer, rows []imageRow, format string) error {
	if format == "" || format == "table" {
		format = defaultImagesFormat
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(map[string]string{
				"Containers": "N/A", "CreatedAt": r.CreatedAt, "CreatedSince": r.CreatedSince, "Digest": r.Digest,
				"ID": r.ID, "Repository": r.Repository, "SharedSize": "N/A", "Size": r.Size, "Tag": r.Tag,
				"UniqueSize": "N/A", "VirtualSize": r.Size,
			}); err != nil {
				return err
			}
		}
		return nil
	}
	table := strings.HasPrefix(format, "table ")
	format = strings.TrimPrefix(format, "table ")
	tmpl, err := template.New("format").Funcs(imagesFormatFuncs).Parse(format)
	if err != nil {
		return fmt.Errorf("images: --format: %w", err)
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		out = tw
		if err := tmpl.Execute(out, imageHeaders); err != nil {
			return fmt.Errorf("images: --format: %w", err)
		}
		fmt.Fprintln(out)
	}
	for _, r := range rows {
		if err := tmpl.Execute(out, r); err != nil {
			return fmt.Errorf("images: --format: %w", err)
		}
		fmt.Fprintln(out)
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// imagesFormatFuncs are the template functions Docker's --format offers that
// people use most.
var imagesFormatFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"split": strings.Split,
}

// imageAge is d in words as Docker writes ages: "Less than a
// second", "3 seconds", "About a minute", "2 weeks", "3 months".
func imageAge(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	m := int(d.Minutes())
	switch {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	h := int(d.Hours() + 0.5)
	switch {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}
