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

func TestDecimalSizeAndBar(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1234: "1.23kB", 7_800_000: "7.8MB", 123_456_789: "123MB", 999_999: "1000kB"} {
		if got := DecimalSize(n); got != want {
			t.Errorf("DecimalSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got := bar(1_200_000, 3_400_000); got != "[=================>                                ] 1.2MB/3.4MB" {
		t.Errorf("bar = %q", got)
	}
	if got := bar(5, 5); got != "[==================================================] 5B/5B" {
		t.Errorf("full bar = %q", got)
	}
}
