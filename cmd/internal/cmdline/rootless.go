package cmdline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/minirun/minirun/seccomp"
)

// Where an unprivileged caller keeps its state, images and compiled
// profiles: the caller's own directories, as runc and podman do. Root
// keeps /run/minirun, /var/lib/minirun and /var/cache/minirun.

// defaultRoot is --root's default: /run/minirun for root; for anyone else
// $XDG_RUNTIME_DIR/minirun, or /tmp/minirun-UID when that is unset. The
// state root is made 0700 and refused unless the caller owns it and no
// one else may write it (state/root.go), so a /tmp/minirun-UID made by
// another user first is refused, not used.
func defaultRoot() string {
	if os.Geteuid() == 0 {
		return "/run/minirun"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "minirun")
	}
	return fmt.Sprintf("/tmp/minirun-%d", os.Geteuid())
}

// defaultStore is --store's default: /var/lib/minirun for root, else
// $XDG_DATA_HOME/minirun (~/.local/share/minirun).
func defaultStore() string {
	if os.Geteuid() == 0 {
		return "/var/lib/minirun"
	}
	return filepath.Join(xdgDir("XDG_DATA_HOME", ".local/share"), "minirun")
}

// rootlessCache points the seccomp cache at $XDG_CACHE_HOME/minirun/seccomp
// (~/.cache/minirun/seccomp) for a caller who is not root, unless
// MINIRUN_SECCOMP_CACHE says otherwise.
func rootlessCache() {
	if os.Geteuid() == 0 {
		return
	}
	if _, ok := os.LookupEnv("MINIRUN_SECCOMP_CACHE"); ok {
		return
	}
	seccomp.CacheDir = filepath.Join(xdgDir("XDG_CACHE_HOME", ".cache"), "minirun", "seccomp")
}

// xdgDir is $env when it is an absolute path, else ~/fallback.
func xdgDir(env, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = fmt.Sprintf("/tmp/minirun-%d-home", os.Geteuid())
	}
	return filepath.Join(home, fallback)
}
