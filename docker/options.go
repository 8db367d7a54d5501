// Package docker is minirun's Docker-style front: it turns an image and the
// flags people type after `docker run` into a runtime-spec config, which
// then runs through the same code path as `minirun run -b`.
package docker

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/inputbounds"
	"github.com/minirun/minirun/seccomp/watch"
)

// RunOptions are the `docker run` flags minirun understands, and its
// IMAGE [COMMAND] [ARG...]. The first group is how the container is run;
// the rest is what BuildSpec turns into its config.
type RunOptions struct {
	Image   string // IMAGE: a name, or an ID or its prefix, in the store
	Pull    string // --pull: missing (""), always or never (EnsureImage)
	Name    string // --name: unique among the store's containers
	Remove  bool   // --rm: take the container away when it exits
	Detach  bool   // -d: return once it runs, with its output in container.log
	Seccomp watch.Request
	// SigProxy passes this process's signals on to a foreground
	// container (docker run --sig-proxy, on in the CLI); a program using
	// the Go API has its own uses for them.
	SigProxy bool
	// LogDriver and LogOpts are --log-driver (json-file or none) and
	// --log-opt KEY=VALUE, kept in the record's HostConfig.LogConfig for
	// whatever copies a detached container's output (LogConfigOf).
	LogDriver string
	LogOpts   []string

	SecurityOpts []string
	CapAdd       []string
	CapDrop      []string
	Privileged   bool
	Interactive  bool
	TTY          bool
	Env          []string
	EnvFiles     []string
	Volumes      []string
	// anon names the run's anonymous volumes by their target (-v /data,
	// --mount type=volume without a source, the image's VOLUMEs nothing
	// else covers), imageVolumes are those VOLUMEs: set once
	// (nameAnonymous), so that the record and the config name the same.
	anon         map[string]string
	imageVolumes []string
	Workdir      string
	User         string
	Hostname     string
	ReadOnly     bool
	Network      string // --network; "" is the default (network.go)
	Net          NetworkOptions
	Ulimits      []string
	Entrypoint   *string // nil: the image's; "": none
	Memory       string
	PidsLimit    int64
	CPUs         string
	Cmd          []string

	// Mounts besides -v (mounts.go): --mount's CSV lines, --tmpfs
	// PATH[:OPTIONS] and --shm-size ("" is Docker's 64m).
	Mounts  []string
	Tmpfs   []string
	ShmSize string

	// The everyday flags (everyday.go).
	Init       bool     // --init: tini as PID 1
	Labels     []string // --label KEY=VALUE
	LabelFiles []string // --label-file
	Sysctls    []string // --sysctl KEY=VALUE
	IPC        string   // --ipc private|shareable|none|host|container:REF
	PID        string   // --pid host|container:REF
	UserNS     string   // --userns host
	Devices    []string // --device HOST[:CONTAINER][:PERMS]
	Platform   string   // --platform: the host's only
	// How the container's monitor and stop treat it.
	Restart     RestartPolicy // --restart
	StopSignal  string        // --stop-signal
	StopTimeout *int          // --stop-timeout, seconds
}

// invalidf is a flag, or an image, that a run refuses: of class
// errdefs.ErrInvalid, in its own words.
func invalidf(format string, a ...any) error {
	return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf(format, a...))
}

// security is what --security-opt and --privileged decide.
type security struct {
	seccomp      string // "", "unconfined", "builtin" or a file path
	noNewPrivs   bool
	explicitProf bool
}

func parseSecurityOpts(opts []string) (security, error) {
	var s security
	for _, o := range opts {
		key, val, hasVal := strings.Cut(o, "=")
		if !hasVal {
			key, val, hasVal = strings.Cut(o, ":") // the old spelling
		}
		switch key {
		case "seccomp":
			if val == "" {
				return s, invalidf("--security-opt %q: seccomp needs a value: a profile path, unconfined or builtin", o)
			}
			s.seccomp, s.explicitProf = val, true
		case "no-new-privileges":
			if !hasVal {
				s.noNewPrivs = true
				continue
			}
			b, err := strconv.ParseBool(val)
			if err != nil {
				return s, invalidf("--security-opt %q: want true or false", o)
			}
			s.noNewPrivs = b
		case "apparmor", "label":
			// Neither LSM is available to minirun; Docker on such hosts
			// ignores them the same way.
		default:
			return s, invalidf("--security-opt %q: unknown option (want seccomp=, no-new-privileges)", o)
		}
	}
	return s, nil
}

var ulimitNames = map[string]string{
	"core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE",
	"locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE",
	"nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
	"rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK", "as": "RLIMIT_AS",
}

// parseUlimit reads NAME=SOFT[:HARD], as docker run --ulimit does.
func parseUlimit(u string) (specs.POSIXRlimit, error) {
	name, vals, ok := strings.Cut(u, "=")
	typ, known := ulimitNames[name]
	if !ok || !known {
		return specs.POSIXRlimit{}, invalidf("--ulimit %q: want NAME=SOFT[:HARD] with a known NAME", u)
	}
	softS, hardS, hasHard := strings.Cut(vals, ":")
	soft, err := parseLimit(softS)
	if err != nil {
		return specs.POSIXRlimit{}, invalidf("--ulimit %q: %v", u, err)
	}
	hard := soft
	if hasHard {
		if hard, err = parseLimit(hardS); err != nil {
			return specs.POSIXRlimit{}, invalidf("--ulimit %q: %v", u, err)
		}
	}
	if soft > hard {
		return specs.POSIXRlimit{}, invalidf("--ulimit %q: soft limit above hard limit", u)
	}
	return specs.POSIXRlimit{Type: typ, Soft: soft, Hard: hard}, nil
}

func parseLimit(s string) (uint64, error) {
	if s == "-1" || s == "unlimited" {
		return unix.RLIM_INFINITY, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// readEnvFile reads KEY=VALUE lines; a bare KEY takes the host's value, as
// in Docker.
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kv, err := envEntry(line)
		if err != nil {
			return nil, fmt.Errorf("--env-file %s line %d: %w", path, n, err)
		}
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out, sc.Err()
}

func envEntry(e string) (string, error) {
	k, _, has := strings.Cut(e, "=")
	if k == "" || strings.ContainsAny(k, " \t") {
		return "", invalidf("bad variable %q", e)
	}
	if !has {
		v, ok := os.LookupEnv(k)
		if !ok {
			return "", nil
		}
		return k + "=" + v, nil
	}
	return e, nil
}

// parseMemory reads --memory: a size above zero.
func parseMemory(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := inputbounds.ParseBytes(s)
	if err != nil || n <= 0 {
		return 0, invalidf("--memory %q: want a size such as 64m", s)
	}
	return n, nil
}
