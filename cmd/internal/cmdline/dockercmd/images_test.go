package dockercmd

import (
	"bytes"
	"testing"
	"time"

	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/image"
)

func TestImageAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "Less than a second", time.Second: "1 second", 45 * time.Second: "45 seconds",
		90 * time.Second: "About a minute", 5 * time.Minute: "5 minutes", 70 * time.Minute: "About an hour",
		5 * time.Hour: "5 hours", 3 * 24 * time.Hour: "3 days", 15 * 24 * time.Hour: "2 weeks",
		100 * 24 * time.Hour: "3 months", 800 * 24 * time.Hour: "2 years",
	} {
		if got := docker.HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestImageRowsAndFormats(t *testing.T) {
	now := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	id := "sha256:" + "0123456789ab" + "cdef0123456789abcdef0123456789abcdef0123456789abcdef"
	imgs := []image.Image{
		{Name: "docker.io/library/old:1", ID: id, Size: 7_800_000, Created: now.Add(-15 * 24 * time.Hour)},
		{Name: "127.0.0.1:5000/x/new:latest", ID: id, Size: 123, Created: now.Add(-time.Hour)},
	}
	rows := imageRows(imgs, "", false, now)
	if len(rows) != 2 || rows[0].Repository != "127.0.0.1:5000/x/new" || rows[1].Repository != "old" || rows[1].Tag != "1" ||
		rows[1].ID != "0123456789ab" || rows[1].CreatedSince != "2 weeks ago" || rows[1].Size != "7.8MB" {
		t.Fatalf("rows, newest first: %+v", rows)
	}
	if r := imageRows(imgs, "old", true, now); len(r) != 1 || r[0].ID != id {
		t.Errorf("filtered, untruncated: %+v", r)
	}
	var b bytes.Buffer
	if err := printImages(&b, rows, ""); err != nil {
		t.Fatal(err)
	}
	// Docker's columns: 10 wide at least, 3 spaces apart, as ps's.
	want := "REPOSITORY             TAG       IMAGE ID       CREATED             SIZE\n" +
		"127.0.0.1:5000/x/new   latest    0123456789ab   About an hour ago   123B\n" +
		"old                    1         0123456789ab   2 weeks ago         7.8MB\n"
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	b.Reset()
	if err := printImages(&b, rows, "{{.Repository}} {{upper .Tag}}"); err != nil || b.String() != "127.0.0.1:5000/x/new LATEST\nold 1\n" {
		t.Errorf("template: %q %v", b.String(), err)
	}
	if err := printImages(&b, rows, "{{.Nope"); err == nil {
		t.Error("a broken template was taken")
	}
}
