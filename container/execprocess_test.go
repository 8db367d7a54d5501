package container

import (
	"strings"
	"testing"
)

func TestMergeEnv(t *testing.T) {
	got := MergeEnv([]string{"PATH=/bin", "A=1"}, "A=2", "B=3", "PATH=/usr/bin")
	if strings.Join(got, " ") != "PATH=/usr/bin A=2 B=3" {
		t.Fatal(got)
	}
}
