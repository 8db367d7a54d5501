package image

import "testing"

func TestHumanSize(t *testing.T) {
	for _, c := range []struct {
		n         int64
		sep, want string
	}{
		{512, " ", "512 B"}, {1536, " ", "1.5 kB"}, {7 << 20, "", "7.0MB"}, {3 << 30, "", "3.0GB"},
	} {
		if got := HumanSize(c.n, c.sep); got != c.want {
			t.Errorf("HumanSize(%d, %q) = %q, want %q", c.n, c.sep, got, c.want)
		}
	}
}
