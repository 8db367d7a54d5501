package procattr

import (
	"reflect"
	"testing"
)

func TestParseList(t *testing.T) {
	got, err := ParseList("0-2,5, 7\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{0: true, 1: true, 2: true, 5: true, 7: true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"a", "3-1", "-1", "1,,2", "0-99999999"} {
		if _, err := ParseList(bad); err == nil {
			t.Errorf("ParseList(%q): want error", bad)
		}
	}
}
