package seccomp

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func putFake(t *testing.T, i int) [32]byte {
	t.Helper()
	key := [32]byte{byte(i), byte(i >> 8), 0xee}
	p := &Program{Instructions: []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}, DefaultAction: "SCMP_ACT_ALLOW"}
	if err := cachePut(key, p); err != nil {
		t.Fatal(err)
	}
	// Entries written in one test share a clock tick; give each its own
	// age, entry 0 the oldest.
	old := time.Now().Add(time.Duration(i-1000) * time.Minute)
	if err := os.Chtimes(cachePath(key), old, old); err != nil {
		t.Fatal(err)
	}
	return key
}

func present(key [32]byte) bool {
	_, err := os.Stat(cachePath(key))
	return err == nil
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	dir := withCacheDir(t)
	stray := filepath.Join(dir, "README")
	os.WriteFile(stray, []byte("not an entry"), 0o600)
	var keys [][32]byte
	for i := 0; i < cacheMaxEntries; i++ {
		keys = append(keys, putFake(t, i))
	}
	for _, k := range keys {
		if !present(k) {
			t.Fatalf("entry evicted before the cache was full")
		}
	}
	// A hit makes the oldest entry the newest.
	if _, err := cacheGet(keys[0]); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, putFake(t, cacheMaxEntries))
	// putFake backdated the new entry, so only keys[1] is older than it
	// and not just used.
	if !present(keys[0]) {
		t.Error("the entry just hit was evicted")
	}
	if present(keys[1]) {
		t.Error("the least recently used entry was kept")
	}
	if n := len(cacheEntries(t, dir)); n != cacheMaxEntries+1 {
		t.Errorf("%d files, want %d entries and the stray file", n, cacheMaxEntries)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("a file that is not an entry was removed: %v", err)
	}
}

func TestCacheEvictKeepsUpToMax(t *testing.T) {
	withCacheDir(t)
	var keys [][32]byte
	for i := 0; i < 10; i++ {
		keys = append(keys, putFake(t, i))
	}
	if err := cacheEvict(3); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if want := i >= 7; present(k) != want {
			t.Errorf("entry %d present=%v, want %v", i, !want, want)
		}
	}
}
