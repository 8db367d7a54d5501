package cmdline

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/inspect"
)

func capAddFlag() cli.Flag {
	return &cli.StringSliceFlag{
		Name:  "cap-add",
		Usage: "add a capability to Docker's default set (SYS_ADMIN, cap_sys_admin, ...)",
	}
}

// Seccomp is `seccomp default|explain|check|audit|bpf`: the inspection tools.
func Seccomp() *cli.Command {
	return &cli.Command{
		Name:  "seccomp",
		Usage: "inspect seccomp profiles: what they allow, and the BPF they compile to",
		Description: `PROFILE is a Docker-format profile file, or the word "default" for
Docker's default profile. Profiles are resolved against Docker's default
capabilities plus --cap-add, this host's arch and kernel.`,
		Subcommands: []*cli.Command{
			{
				Name:   "default",
				Usage:  "print Docker's default profile (Docker format)",
				Action: seccompDefault,
			},
			{
				Name:      "explain",
				Usage:     "list the action each syscall gets, after includes and excludes",
				ArgsUsage: "PROFILE",
				Flags:     []cli.Flag{capAddFlag()},
				Action:    seccompExplain,
			},
			{
				Name:      "check",
				Usage:     "evaluate the compiled BPF for one syscall and print the action",
				ArgsUsage: "PROFILE SYSCALL [ARG...]",
				Flags: []cli.Flag{
					capAddFlag(),
					&cli.StringFlag{Name: "arch", Value: "native", Usage: "x86_64, x86 (int $0x80), x32, aarch64, ..."},
				},
				Action: seccompCheck,
			},
			{
				Name:      "audit",
				Usage:     "list what the profile lets through that is usually not meant to (exit 1 when anything is found)",
				ArgsUsage: "PROFILE",
				Flags:     []cli.Flag{capAddFlag(), &cli.BoolFlag{Name: "json", Usage: "print the findings as JSON"}},
				Action:    seccompAudit,
			},
			{
				Name:      "bpf",
				Usage:     "print the compiled program, one instruction a line",
				ArgsUsage: "PROFILE",
				Flags:     []cli.Flag{capAddFlag()},
				Action:    seccompBPF,
			},
		},
	}
}

func seccompDefault(c *cli.Context) error {
	out, err := json.MarshalIndent(seccomp.DockerDefault(), "", "\t")
	if err != nil {
		return fmt.Errorf("seccomp default: %w", err)
	}
	fmt.Println(string(out))
	return nil
}

func seccompExplain(c *cli.Context) error {
	s, _, err := profileArg(c)
	if err != nil {
		return err
	}
	fmt.Print(inspect.Explain(s).String())
	return nil
}

func seccompCheck(c *cli.Context) error {
	cl, err := parseTrailing(c)
	if err != nil {
		return fmt.Errorf("seccomp check: %w", err)
	}
	if len(cl.pos) < 2 || len(cl.pos) > 8 {
		return fmt.Errorf("seccomp check: want PROFILE SYSCALL [ARG...] (at most 6 args)")
	}
	var args [6]uint64
	for i, a := range cl.pos[2:] {
		v, err := strconv.ParseUint(a, 0, 64)
		if err != nil {
			return fmt.Errorf("seccomp check: arg %d %q: not a number", i, a)
		}
		args[i] = v
	}
	s, err := loadForCLI(cl.pos[0], cl.capAdd)
	if err != nil {
		return err
	}
	p, err := seccomp.Compile(s)
	if err != nil {
		return err
	}
	arch := cl.arch
	if arch == "native" {
		arch = seccomp.NativeArch()
	}
	ret, err := p.Evaluate(arch, cl.pos[1], args)
	if err != nil {
		return fmt.Errorf("seccomp check: %w", err)
	}
	fmt.Println(seccomp.ActionString(ret))
	return nil
}

func seccompBPF(c *cli.Context) error {
	s, _, err := profileArg(c)
	if err != nil {
		return err
	}
	p, err := seccomp.Compile(s)
	if err != nil {
		return err
	}
	fmt.Printf("# %d instructions, %d rules, arches %s, default %s\n",
		len(p.Instructions), p.Rules, strings.Join(p.Arches, ","), p.DefaultAction)
	fmt.Print(inspect.Disassemble(p))
	return nil
}

// cliArgs are the positional arguments and flags of a seccomp subcommand.
type cliArgs struct {
	pos    []string
	capAdd []string
	arch   string
	json   bool
}

// parseTrailing collects the flags urfave/cli parsed before the positional
// arguments, then the ones written after them ("check default unshare 0
// --cap-add SYS_ADMIN"), which urfave/cli v2 leaves in Args.
func parseTrailing(c *cli.Context) (cliArgs, error) {
	a := cliArgs{capAdd: c.StringSlice("cap-add"), arch: "native", json: c.Bool("json")}
	if c.IsSet("arch") {
		a.arch = c.String("arch")
	}
	rest := c.Args().Slice()
	for i := 0; i < len(rest); i++ {
		name, val, hasVal := strings.Cut(rest[i], "=")
		name = strings.TrimLeft(name, "-")
		if strings.HasPrefix(rest[i], "-") && name == "json" && !hasVal && c.Command.Name == "audit" {
			a.json = true
			continue
		}
		if !strings.HasPrefix(rest[i], "-") || (name != "cap-add" && name != "arch") {
			a.pos = append(a.pos, rest[i])
			continue
		}
		if !hasVal {
			if i+1 >= len(rest) {
				return a, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			val = rest[i]
		}
		if name == "arch" {
			if c.Command.Name != "check" {
				return a, fmt.Errorf("flag --arch is only for check")
			}
			a.arch = val
		} else {
			a.capAdd = append(a.capAdd, val)
		}
	}
	return a, nil
}

// profileArg reads `seccomp CMD PROFILE [--cap-add CAP]...` and loads
// the profile. Only audit names itself before a load error; explain and
// bpf print the loader's words alone.
func profileArg(c *cli.Context) (*specs.LinuxSeccomp, cliArgs, error) {
	name := c.Command.Name
	args, err := parseTrailing(c)
	if err != nil {
		return nil, args, fmt.Errorf("seccomp %s: %w", name, err)
	}
	if len(args.pos) != 1 {
		return nil, args, fmt.Errorf("seccomp %s: want PROFILE, got %d arguments", name, len(args.pos))
	}
	s, err := loadForCLI(args.pos[0], args.capAdd)
	if err != nil && name == "audit" {
		err = fmt.Errorf("seccomp audit: %w", err)
	}
	return s, args, err
}

// loadForCLI resolves PROFILE ("default" or a file) for Docker's default
// capabilities plus capAdd.
func loadForCLI(profile string, capAdd []string) (*specs.LinuxSeccomp, error) {
	// Resolved as `run --cap-add` would: Docker's defaults plus these.
	set, err := caps.Resolve(caps.DockerDefaults, capAdd, nil)
	if err != nil {
		return nil, err
	}
	if profile == "default" {
		return seccomp.DefaultProfile(set)
	}
	if _, err := os.Stat(profile); err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	return seccomp.LoadProfile(profile, set)
}

// seccompAudit is `seccomp audit PROFILE [--cap-add CAP]... [--json]`.
func seccompAudit(c *cli.Context) error {
	s, args, err := profileArg(c)
	if err != nil {
		return err
	}
	findings, err := inspect.Audit(s)
	if err != nil {
		return fmt.Errorf("seccomp audit: %w", err)
	}
	if args.json {
		if findings == nil {
			findings = []inspect.Finding{}
		}
		out, err := json.MarshalIndent(findings, "", "  ")
		if err != nil {
			return fmt.Errorf("seccomp audit: %w", err)
		}
		fmt.Println(string(out))
	} else {
		inspect.WriteFindings(os.Stdout, findings)
	}
	if len(findings) > 0 {
		return StatusError(1)
	}
	return nil
}
