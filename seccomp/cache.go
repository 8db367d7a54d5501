package seccomp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/version"
	"github.com/minirun/minirun/seccomp/filter"
)

// CacheDir holds compiled programs, one file per key. Set it to "" to turn
// the cache off.
var CacheDir = defaultCacheDir()

func defaultCacheDir() string {
	if d, ok := os.LookupEnv("MINIRUN_SECCOMP_CACHE"); ok {
		return d
	}
	return "/var/cache/minirun/seccomp"
}

// cacheMaxEntries bounds the cache. Each profile and capability set is an
// entry, and an entry is at most 32 KiB (the kernel's 4096 instructions),
// so the bound is 2 MiB; a host runs a handful of profiles, so 64 keeps
// every one in use while a stream of one-off profiles can't fill the disk.
const cacheMaxEntries = 64

// cacheMagic starts every entry; bump it when the layout or the stub changes.
var cacheMagic = []byte("MRSECC4\n")

var errCacheMiss = errors.New("seccomp cache: miss")

// hostKey is what the host adds to every key: anything that changes what
// libseccomp and the stub produce for the same profile.
var hostKey = sync.OnceValue(func() string {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	maj, min, mic := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d.%d.%d\x00%s", cacheMagic, runtime.GOARCH,
		unix.ByteSliceToString(uts.Release[:]), maj, min, mic, version.Version)
})

// cacheKey hashes the profile's canonical JSON (the OCI form, so the
// capabilities are already folded in) with the host's part.
func cacheKey(s *specs.LinuxSeccomp) ([32]byte, error) {
	body, err := canonicalJSON(s)
	if err != nil {
		return [32]byte{}, fmt.Errorf("cache key: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(hostKey()))
	h.Write([]byte{0})
	h.Write(body)
	var k [32]byte
	h.Sum(k[:0])
	return k, nil
}

func cachePath(key [32]byte) string {
	return filepath.Join(CacheDir, hex.EncodeToString(key[:]))
}

// Entry layout: magic, sha256 of the rest, key, meta length (uint32 LE),
// meta (see encodeMeta), raw sock_filter records. The checksum makes a truncated or
// corrupt file a miss, never a filter.
func encodeEntry(key [32]byte, p *Program) ([]byte, error) {
	mj := encodeMeta(p)
	var rest bytes.Buffer
	rest.Write(key[:])
	rest.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(mj))))
	rest.Write(mj)
	rest.Write(filter.Encode(p.Instructions))
	sum := sha256.Sum256(rest.Bytes())
	out := make([]byte, 0, len(cacheMagic)+32+rest.Len())
	out = append(out, cacheMagic...)
	out = append(out, sum[:]...)
	return append(out, rest.Bytes()...), nil
}

func decodeEntry(key [32]byte, b []byte) (*Program, error) {
	hdr := len(cacheMagic) + 32
	if len(b) < hdr+32+4 || !bytes.Equal(b[:len(cacheMagic)], cacheMagic) {
		return nil, errors.New("bad header")
	}
	rest := b[hdr:]
	if sha256.Sum256(rest) != [32]byte(b[len(cacheMagic):hdr]) {
		return nil, errors.New("checksum mismatch")
	}
	if !bytes.Equal(rest[:32], key[:]) {
		return nil, errors.New("entry is for another key")
	}
	n := int(binary.LittleEndian.Uint32(rest[32:]))
	rest = rest[36:]
	if n > len(rest) {
		return nil, errors.New("short meta")
	}
	p, err := decodeMeta(rest[:n])
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	ins, err := filter.Decode(rest[n:])
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 {
		return nil, errors.New("empty program")
	}
	p.Instructions, p.Cached = ins, true
	return p, nil
}

func cacheGet(key [32]byte) (*Program, error) {
	if CacheDir == "" {
		return nil, errCacheMiss
	}
	if err := checkCacheDir(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(cachePath(key))
	if err != nil {
		return nil, errCacheMiss
	}
	p, err := decodeEntry(key, b)
	if err != nil {
		// Drop it so the next start writes a good one.
		_ = os.Remove(cachePath(key))
		return nil, fmt.Errorf("%w: %s: %v", errCacheMiss, cachePath(key), err)
	}
	// The mtime is the entry's last use, which eviction goes by; atime
	// can't be, as relatime and noatime mounts don't keep it.
	now := time.Now()
	_ = os.Chtimes(cachePath(key), now, now)
	return p, nil
}

// cachePut writes a temp file and renames it into place, so a concurrent
// reader sees either no entry or a whole one.
func cachePut(key [32]byte, p *Program) error {
	if CacheDir == "" {
		return nil
	}
	b, err := encodeEntry(key, p)
	if err != nil {
		return fmt.Errorf("seccomp cache: encode: %w", err)
	}
	if err := os.MkdirAll(CacheDir, 0o700); err != nil {
		return fmt.Errorf("seccomp cache: %w", err)
	}
	tmp, err := os.CreateTemp(CacheDir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("seccomp cache: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), cachePath(key))
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("seccomp cache: write %s: %w", cachePath(key), werr)
	}
	return cacheEvict(cacheMaxEntries)
}

// cacheEvict removes the least recently used entries beyond max. Only
// names that are keys count, so a stray file is never taken for an entry
// (nor removed). Two starts evicting at once may both remove an entry;
// that costs one of them a compile, no more.
func cacheEvict(max int) error {
	ents, err := os.ReadDir(CacheDir)
	if err != nil {
		return fmt.Errorf("seccomp cache: evict: %w", err)
	}
	type used struct {
		name  string
		mtime time.Time
	}
	var all []used
	for _, e := range ents {
		if !isKeyName(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		all = append(all, used{e.Name(), fi.ModTime()})
	}
	if len(all) <= max {
		return nil
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mtime.Before(all[j].mtime) })
	for _, u := range all[:len(all)-max] {
		if err := os.Remove(filepath.Join(CacheDir, u.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("seccomp cache: evict %s: %w", u.name, err)
		}
	}
	return nil
}

func isKeyName(name string) bool {
	if len(name) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil
}

// encodeMeta writes the Program's fields other than the instructions as
// length-prefixed values: decoding JSON would cost a fresh process more
// than the rest of the lookup.
func encodeMeta(p *Program) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(p.Flags))
	if p.Listener {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Rules))
	b = appendStrings(b, []string{p.DefaultAction})
	b = appendStrings(b, p.Arches)
	return appendStrings(b, p.Warnings)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ss)))
	for _, s := range ss {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeMeta(b []byte) (*Program, error) {
	if len(b) < 9 {
		return nil, errors.New("short")
	}
	p := &Program{
		Flags:    uint(binary.LittleEndian.Uint32(b)),
		Listener: b[4] == 1,
		Rules:    int(binary.LittleEndian.Uint32(b[5:])),
	}
	b = b[9:]
	var lists [3][]string
	for i := range lists {
		var err error
		if lists[i], b, err = readStrings(b); err != nil {
			return nil, err
		}
	}
	if len(lists[0]) != 1 || len(b) != 0 {
		return nil, errors.New("bad layout")
	}
	p.DefaultAction, p.Arches, p.Warnings = lists[0][0], lists[1], lists[2]
	return p, nil
}

func readStrings(b []byte) ([]string, []byte, error) {
	if len(b) < 4 {
		return nil, nil, errors.New("short")
	}
	n := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if n > len(b)/4 {
		return nil, nil, errors.New("bad count")
	}
	var out []string
	for i := 0; i < n; i++ {
		if len(b) < 4 {
			return nil, nil, errors.New("short")
		}
		l := int(binary.LittleEndian.Uint32(b))
		if l > len(b)-4 {
			return nil, nil, errors.New("short string")
		}
		out = append(out, string(b[4:4+l]))
		b = b[4+l:]
	}
	return out, b, nil
}

// checkCacheDir refuses a cache others could write to: an entry there is a
// filter the container will run under, and the checksum only catches
// accidents, not someone who can write a matching one.
func checkCacheDir() error {
	var st unix.Stat_t
	if err := unix.Stat(CacheDir, &st); err != nil {
		return errCacheMiss
	}
	if st.Mode&0o022 != 0 || int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%w: %s is writable by others or not ours: not trusted", errCacheMiss, CacheDir)
	}
	return nil
}
