package limits

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
