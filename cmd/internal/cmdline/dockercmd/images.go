package dockercmd

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/dockerformat"
	"github.com/minirun/minirun/docker"
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
			CreatedSince: docker.HumanDuration(now.Sub(img.Created)) + " ago",
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
// and anything else a Go template per row (dockerformat, as every
// command's --format).
func printImages(w io.Writer, rows []imageRow, format string) error {
	if format == "" || format == "table" {
		format = defaultImagesFormat
	}
	asJSON := format == "json"
	p, err := dockerformat.NewPrinter(w, format, imageHeaders)
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	for _, r := range rows {
		var item any = r
		if asJSON {
			// Docker's fields, those minirun has no count of included.
			item = map[string]string{
				"Containers": "N/A", "CreatedAt": r.CreatedAt, "CreatedSince": r.CreatedSince, "Digest": r.Digest,
				"ID": r.ID, "Repository": r.Repository, "SharedSize": "N/A", "Size": r.Size, "Tag": r.Tag,
				"UniqueSize": "N/A", "VirtualSize": r.Size,
			}
		}
		if err := p.Print(item); err != nil {
			return fmt.Errorf("images: %w", err)
		}
	}
	return p.Flush()
}
