package seccomp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/version"
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

// cacheMagic starts every entry; bump it when the layout or the stub changes.
var cacheMagic = []byte("MRSECC2\n")

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
	body, err := json.Marshal(s)
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
// meta JSON, raw sock_filter records. The checksum makes a truncated or
// corrupt file a miss, never a filter.
func encodeEntry(key [32]byte, p *Program) ([]byte, error) {
	meta := *p
	meta.Instructions, meta.Cached = nil, false
	mj, err := json.Marshal(&meta)
	if err != nil {
		return nil, err
	}
	var rest bytes.Buffer
	rest.Write(key[:])
	rest.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(mj))))
	rest.Write(mj)
	rest.Write(encodeInstructions(p.Instructions))
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
	var p Program
	if err := json.Unmarshal(rest[:n], &p); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	ins, err := decodeInstructions(rest[n:])
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 {
		return nil, errors.New("empty program")
	}
	p.Instructions, p.Cached = ins, true
	return &p, nil
}

func cacheGet(key [32]byte) (*Program, error) {
	if CacheDir == "" {
		return nil, errCacheMiss
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
	return nil
}
