package seccomp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func withCacheDir(t testing.TB) string {
	t.Helper()
	old := CacheDir
	CacheDir = t.TempDir()
	t.Cleanup(func() { CacheDir = old })
	return CacheDir
}

func cacheEntries(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCacheHit(t *testing.T) {
	dir := withCacheDir(t)
	first := compileDefault(t, dockerCaps)
	if first.Cached {
		t.Fatal("first compile came from an empty cache")
	}
	if n := len(cacheEntries(t, dir)); n != 1 {
		t.Fatalf("%d cache entries, want 1", n)
	}
	second := compileDefault(t, dockerCaps)
	if !second.Cached {
		t.Fatal("second compile missed the cache")
	}
	second.Cached = false
	if !reflect.DeepEqual(first, second) {
		t.Fatal("cached program differs from the compiled one")
	}
	// Other capabilities are another profile, so another entry.
	if p := compileDefault(t, append([]string{"CAP_SYS_ADMIN"}, dockerCaps...)); p.Cached {
		t.Fatal("SYS_ADMIN profile hit the entry of the default caps")
	}
	if n := len(cacheEntries(t, dir)); n != 2 {
		t.Fatalf("%d cache entries, want 2", n)
	}
}

func TestCacheCorruptEntryRejected(t *testing.T) {
	dir := withCacheDir(t)
	want := compileDefault(t, dockerCaps)
	entry := cacheEntries(t, dir)[0]
	good, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	corruptions := map[string][]byte{
		"truncated":   good[:len(good)/2],
		"empty":       {},
		"flipped bit": flip(good, len(good)-3),
		"bad magic":   flip(good, 0),
		"bad sum":     flip(good, 10),
	}
	for name, bad := range corruptions {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(entry, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			p := compileDefault(t, dockerCaps)
			if p.Cached {
				t.Fatal("a corrupt entry was trusted")
			}
			if !reflect.DeepEqual(p.Instructions, want.Instructions) {
				t.Fatal("recompiled program differs")
			}
			// The entry was rewritten whole.
			if p := compileDefault(t, dockerCaps); !p.Cached {
				t.Fatal("entry not rewritten after corruption")
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x40
	return c
}

func TestCacheConcurrent(t *testing.T) {
	dir := withCacheDir(t)
	want := compileDefault(t, dockerCaps)
	os.Remove(cacheEntries(t, dir)[0])
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				s, err := DefaultProfile(dockerCaps)
				if err != nil {
					errs <- err
					return
				}
				p, err := Compile(s)
				if err != nil {
					errs <- err
					return
				}
				if !reflect.DeepEqual(p.Instructions, want.Instructions) {
					errs <- os.ErrInvalid
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Only the entry: no temp files left behind.
	if m := cacheEntries(t, dir); len(m) != 1 {
		t.Fatalf("cache holds %v", m)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
}

func TestCacheDisabledAndUnwritable(t *testing.T) {
	old := CacheDir
	defer func() { CacheDir = old }()
	CacheDir = ""
	if p := compileDefault(t, dockerCaps); p.Cached {
		t.Fatal("cache used while disabled")
	}
	// A cache that cannot be created costs speed, not the start.
	CacheDir = "/proc/minirun-no-such-dir"
	compileDefault(t, dockerCaps)
}

func TestProgramJSONRoundTrip(t *testing.T) {
	withCacheDir(t)
	p := compileDefault(t, dockerCaps)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Program
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, &q) {
		t.Fatal("program changed through JSON")
	}
	ret, err := q.Evaluate("x86_64", "unshare", [6]uint64{})
	if err != nil || ActionString(ret) != "ERRNO(EPERM)" {
		t.Fatalf("got %s, %v", ActionString(ret), err)
	}
}

// BenchmarkCompileDefault compares compiling Docker's default profile with
// finding it in the cache. Resolving the profile for the capabilities is
// included in both, as every start pays it.
func BenchmarkCompileDefault(b *testing.B) {
	b.Run("cold", func(b *testing.B) {
		old := CacheDir
		CacheDir = ""
		defer func() { CacheDir = old }()
		for i := 0; i < b.N; i++ {
			compileDefault(b, dockerCaps)
		}
	})
	b.Run("cached", func(b *testing.B) {
		withCacheDir(b)
		compileDefault(b, dockerCaps)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if p := compileDefault(b, dockerCaps); !p.Cached {
				b.Fatal("miss")
			}
		}
	})
}

func TestCanonicalJSONMatchesEncodingJSON(t *testing.T) {
	path := writeProfile(t, customProfile)
	custom, err := LoadProfile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	custom.ListenerPath, custom.ListenerMetadata = "/run/agent.sock", "meta"
	def, err := DefaultProfile(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	odd := *custom
	odd.ListenerMetadata = "<needs escaping>\n"
	for name, s := range map[string]*specs.LinuxSeccomp{"custom": custom, "default": def, "escaped": &odd} {
		want, _ := json.Marshal(s)
		got, err := canonicalJSON(s)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: canonical JSON differs:\n%s\n%s", name, got, want)
		}
	}
}

func TestCacheDirWritableByOthersNotTrusted(t *testing.T) {
	dir := withCacheDir(t)
	compileDefault(t, dockerCaps)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if p := compileDefault(t, dockerCaps); p.Cached {
		t.Fatal("entry trusted in a world-writable cache dir")
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if p := compileDefault(t, dockerCaps); !p.Cached {
		t.Fatal("entry not used once the dir is private again")
	}
}
