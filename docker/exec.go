package docker

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/image"
)

// ExecUser resolves exec's -u (NAME|UID[:GROUP|GID]) in the /etc/passwd
// and /etc/group the container whose init is pid sees, as Docker does:
// through /proc/PID/root, so the lookup reads the container's files
// (its binds over /etc included) and securejoin keeps a symlink in
// them inside that root.
func ExecUser(pid int, spec string) (*specs.User, error) {
	root := filepath.Join("/proc", strconv.Itoa(pid), "root")
	uid, gid, groups, err := image.LookupUser(root, spec)
	if err != nil {
		return nil, err
	}
	return &specs.User{UID: uid, GID: gid, AdditionalGids: groups}, nil
}

// ExecEnv is the environment exec's --env-file and -e add, files first,
// as Docker's: a bare KEY takes this process's value, or is left out.
func ExecEnv(files, env []string) ([]string, error) {
	var out []string
	for _, f := range files {
		kvs, err := readEnvFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, kvs...)
	}
	for _, e := range env {
		kv, err := envEntry(e)
		if err != nil {
			return nil, fmt.Errorf("-e: %w", err)
		}
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out, nil
}
