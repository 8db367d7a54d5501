package docker

import (
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The record's shape follows `docker inspect`'s, so inspect can print it
// with the live parts (State) brought up to date, and a Docker user finds
// each field where Docker keeps it.

// Record is what the front remembers of a container it made, kept in the
// container's directory in the image store beside its layers
// (containers/ID/container.json). The command that makes the container
// writes it whole; after that the container's monitor is the only writer
// of State, and a command that finds the monitor gone repairs it
// (RepairState).
type Record struct {
	ID      string
	Name    string
	Image   string // as the user named it
	ImageID string // the stored image's id (digest), for rmi's in-use check
	Created time.Time
	// Path and Args are the command as it runs: entrypoint and cmd.
	Path       string
	Args       []string
	Config     RecordConfig
	HostConfig HostConfig
	State      ContainerState
	Mounts     []MountPoint
	// NetworkSettings is set while the container runs on a network the
	// front made (bridge or a user network).
	NetworkSettings *NetworkSettings `json:",omitempty"`
}

// RecordConfig is the container's configuration as Docker's Config.
type RecordConfig struct {
	Hostname    string
	User        string
	Env         []string
	Cmd         []string
	Entrypoint  []string
	WorkingDir  string
	Labels      map[string]string
	StopSignal  string // "" means the image's, then SIGTERM
	StopTimeout *int   // seconds; nil means 10
	Tty         bool
	OpenStdin   bool
	// ExposedPorts are the image's, for -P.
	ExposedPorts map[string]struct{} `json:",omitempty"`
}

// HostConfig is how the container is run, as Docker's HostConfig.
type HostConfig struct {
	Binds          []string
	NetworkMode    string
	RestartPolicy  RestartPolicy
	AutoRemove     bool
	ReadonlyRootfs bool
	Privileged     bool
	CapAdd         []string
	CapDrop        []string
	SecurityOpt    []string
	Init           bool
	LogConfig      LogConfig
	// Tmpfs is --tmpfs: PATH to its options; ShmSize /dev/shm's size in
	// bytes.
	Tmpfs   map[string]string `json:",omitempty"`
	ShmSize int64
	// The network flags, kept for each start to set the network up
	// again (network.go): -p, -P, --dns*, --add-host, and what Docker
	// keeps in its NetworkingConfig (--ip, --mac-address,
	// --network-alias).
	Publish         []string `json:",omitempty"`
	PublishAllPorts bool     `json:",omitempty"`
	Dns             []string `json:",omitempty"`
	DnsSearch       []string `json:",omitempty"`
	DnsOptions      []string `json:",omitempty"`
	ExtraHosts      []string `json:",omitempty"`
	IPAddress       string   `json:",omitempty"`
	MacAddress      string   `json:",omitempty"`
	NetworkAliases  []string `json:",omitempty"`
}

// NetworkSettings is what the container's network is while it runs, as
// Docker's inspect shows it.
type NetworkSettings struct {
	IPAddress   string
	IPPrefixLen int
	Gateway     string
	MacAddress  string
	// Ports maps "80/tcp" to where it is published.
	Ports    map[string][]PortBinding
	Networks map[string]EndpointSettings
}

// PortBinding is one host address a container port is published on.
type PortBinding struct {
	HostIp   string
	HostPort string
}

// EndpointSettings is the container on one network.
type EndpointSettings struct {
	IPAddress   string
	IPPrefixLen int
	Gateway     string
	MacAddress  string
	Aliases     []string `json:",omitempty"`
}

// RestartPolicy is --restart: Name is "no", "on-failure", "always" or
// "unless-stopped".
type RestartPolicy struct {
	Name              string
	MaximumRetryCount int
}

// LogConfig is --log-driver and --log-opt (json-file only).
type LogConfig struct {
	Type   string
	Config map[string]string
}

// ContainerState is Docker's State as the record keeps it: what inspect
// shows as State, and what it shows elsewhere or not at all. (Embedded,
// InspectState's fields are the record's own in its JSON too.)
type ContainerState struct {
	InspectState
	RestartCount int // inspect shows it beside State, as Docker's
	// StoppedByUser is set by stop and kill, so the restart policy does
	// not undo them (Docker's HasBeenManuallyStopped).
	StoppedByUser bool `json:",omitempty"`
}

// InspectState is the State `docker inspect` prints, in its order.
// Status is one of created, running, paused, restarting, exited, dead.
type InspectState struct {
	Status     string
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
}

// MountPoint is one entry of Docker's Mounts.
type MountPoint struct {
	Type        string // bind, volume, tmpfs
	Name        string `json:",omitempty"` // a volume's name
	Source      string
	Destination string
	Driver      string `json:",omitempty"` // a volume's: local
	Mode        string
	RW          bool
	Propagation string `json:",omitempty"` // a bind's
}

// describe fills the parts of r that come from the run's options and the
// config built from them: the command as it runs (Path, Args), and
// Config and HostConfig as inspect shows them.
func describe(r *Record, c Container, o *RunOptions, s *specs.Spec) {
	if p := s.Process; p != nil && len(p.Args) > 0 {
		r.Path, r.Args = p.Args[0], append([]string{}, p.Args[1:]...)
		r.Config.Env, r.Config.WorkingDir, r.Config.Tty = p.Env, p.Cwd, p.Terminal
	}
	r.Config.Hostname, r.Config.User = s.Hostname, o.User
	r.Config.Cmd, r.Config.Entrypoint, r.Config.OpenStdin = o.Cmd, c.Image.Config.Entrypoint, o.Interactive
	if len(o.Cmd) == 0 {
		r.Config.Cmd = c.Image.Config.Cmd
	}
	if o.Entrypoint != nil {
		r.Config.Entrypoint = nil
		if *o.Entrypoint != "" {
			r.Config.Entrypoint = []string{*o.Entrypoint}
		}
	}
	r.HostConfig.Binds = o.Volumes
	r.HostConfig.AutoRemove, r.HostConfig.ReadonlyRootfs, r.HostConfig.Privileged = o.Remove, o.ReadOnly, o.Privileged
	r.HostConfig.CapAdd, r.HostConfig.CapDrop, r.HostConfig.SecurityOpt = o.CapAdd, o.CapDrop, o.SecurityOpts
}
