package filter

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWireRoundTrip(t *testing.T) {
	f := &Filter{
		Instructions: []unix.SockFilter{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 2, K: 0xc000003e}, {Code: 0x6, K: 0x7fff0000}},
		Flags:        unix.SECCOMP_FILTER_FLAG_LOG, Listener: true, Rules: 3,
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Filter
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f, &back) {
		t.Fatalf("round trip: %+v, want %+v", back, *f)
	}
}

func TestDecodeRefusesPartialInstruction(t *testing.T) {
	if _, err := Decode(make([]byte, 12)); err == nil || !strings.Contains(err.Error(), "12 bytes") {
		t.Fatalf("12 bytes of BPF: %v", err)
	}
}

func TestLoadRefusesEmpty(t *testing.T) {
	if _, err := (&Filter{}).Load(); err == nil {
		t.Fatal("an empty filter loaded")
	}
}
