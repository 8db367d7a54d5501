// Package atomicfile replaces files so that a reader sees the old content
// or the new, never half of either: container state, which engines poll,
// and the image store's records.
package atomicfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to a temporary file beside path and renames it over
// path. With sync the data reaches the disk before the rename, for files
// that must survive a crash (the image store); state under /run needs no
// such cost.
func Write(path string, data []byte, perm os.FileMode, sync bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteJSON encodes v and writes it with Write.
func WriteJSON(path string, v any, perm os.FileMode, sync bool) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s: encode: %w", path, err)
	}
	return Write(path, append(data, '\n'), perm, sync)
}

// ReadJSON decodes the file at path into v. A missing file is returned as
// it is, so callers can test it with errors.Is(err, fs.ErrNotExist).
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read %s: decode: %w", path, err)
	}
	return nil
}
