package inputbounds

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestReadFileRefusesLargeRegularFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.json")
	os.WriteFile(p, make([]byte, 1025), 0o600)
	_, err := ReadFile(p, 1024)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1025 bytes, over the limit of 1 KiB") {
		t.Fatalf("got %v", err)
	}
	os.WriteFile(p, make([]byte, 1024), 0o600)
	if b, err := ReadFile(p, 1024); err != nil || len(b) != 1024 {
		t.Fatalf("file at the limit: %d bytes, %v", len(b), err)
	}
}

func TestReadFileRefusesLargeStream(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { w.Write(make([]byte, 4096)); w.Close() }()
	_, err = ReadFile("/proc/self/fd/"+strconv.Itoa(int(r.Fd())), 100)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 100 bytes") {
		t.Fatalf("got %v", err)
	}
}

func TestCheckDepth(t *testing.T) {
	ok := `{"a":[{"b":"[[[[[[[[\"{{{{{"}]}`
	if err := CheckDepth([]byte(ok), 3); err != nil {
		t.Fatalf("brackets inside strings counted: %v", err)
	}
	deep := strings.Repeat("[", 4) + strings.Repeat("]", 4)
	err := CheckDepth([]byte(deep), 3)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "line 1, column 4") {
		t.Fatalf("got %v", err)
	}
	if err := CheckDepth([]byte("\n"+deep), 4); err != nil {
		t.Fatalf("depth 4 under a limit of 4: %v", err)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "1024k": 1 << 20, "128m": 128 << 20, "128M": 128 << 20,
		"1g": 1 << 30, "2GB": 2 << 30, "-1": -1, "0": 0,
	} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "x", "-2", "-1m", "1.5g", "9999999999g"} {
		if v, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, v)
		}
	}
}
