package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/internal/inputbounds"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// DefaultProfile returns Docker's default profile in OCI form, resolved for
// the given capabilities ("CAP_SYS_ADMIN" or "SYS_ADMIN", any case).
func DefaultProfile(caps []string) (*specs.LinuxSeccomp, error) {
	s, err := dockerprofile.GetDefaultProfile(capSpec(caps))
	if err != nil {
		return nil, fmt.Errorf("seccomp: resolve default profile: %w", err)
	}
	return s, nil
}

// DockerDefault returns Docker's default profile in Docker's own format, with
// its includes and excludes still in place (for `minirun seccomp default`).
func DockerDefault() *dockerprofile.Seccomp {
	return dockerprofile.DefaultProfile()
}

// LoadProfile reads a Docker-format profile file, validates it and resolves
// its includes and excludes for the given capabilities, the host's arch and
// kernel. Errors name the file and the field.
func LoadProfile(path string, caps []string) (*specs.LinuxSeccomp, error) {
	_, s, err := ReadProfile(path, caps)
	if err != nil {
		return nil, err
	}
	if err := Validate(s); err != nil {
		return nil, fmt.Errorf("seccomp profile %s: %w", path, err)
	}
	return s, nil
}

// ReadProfile reads a Docker-format profile file once and gives it as
// written (for the report to name its entries) and resolved for caps, the
// host's arch and kernel; the resolved form is not yet validated, for a
// caller that validates it with the rest of its config (config.Validate).
func ReadProfile(path string, caps []string) (*dockerprofile.Seccomp, *specs.LinuxSeccomp, error) {
	body, err := inputbounds.ReadFile(path, inputbounds.ProfileBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp profile: %w", err)
	}
	d, s, err := parseProfile(body, caps)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp profile %s: %w", path, err)
	}
	return d, s, nil
}

// ParseProfile is LoadProfile on bytes already read.
func ParseProfile(body []byte, caps []string) (*specs.LinuxSeccomp, error) {
	_, s, err := parseProfile(body, caps)
	if err != nil {
		return nil, err
	}
	if err := Validate(s); err != nil {
		return nil, err
	}
	return s, nil
}

// parseProfile decodes and checks the Docker form, then resolves it.
func parseProfile(body []byte, caps []string) (*dockerprofile.Seccomp, *specs.LinuxSeccomp, error) {
	if len(body) > inputbounds.ProfileBytes {
		return nil, nil, boundErrorf("%d bytes, over the limit of %s", len(body), inputbounds.Bytes(inputbounds.ProfileBytes))
	}
	if err := inputbounds.CheckDepth(body, inputbounds.JSONDepth); err != nil {
		return nil, nil, &boundError{err}
	}
	var d dockerprofile.Seccomp
	if err := decodeStrict(body, &d); err != nil {
		return nil, nil, err
	}
	if err := validateDocker(&d); err != nil {
		return nil, nil, err
	}
	// moby/profiles does the resolution; it parses the body again, which
	// costs less than keeping a copy of its unexported logic in step.
	s, err := dockerprofile.LoadProfile(string(body), capSpec(caps))
	if err != nil {
		return nil, nil, fmt.Errorf("resolve includes/excludes: %w", err)
	}
	if s == nil {
		// moby treats a profile without defaultAction and syscalls as
		// "no seccomp"; a file given on purpose must not disable it silently.
		return nil, nil, fieldErrorf("defaultAction", "missing (an empty profile would disable seccomp; use seccomp=unconfined for that)")
	}
	return &d, s, nil
}

// decodeStrict decodes JSON and turns syntax and type errors into messages
// with line and column.
func decodeStrict(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := lineCol(body, syn.Offset)
		return fmt.Errorf("%w: malformed JSON at line %d, column %d: %v", ErrInvalid, line, col, syn)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		line, col := lineCol(body, typ.Offset)
		// Drop the embedded struct names moby's types add to the path.
		field := strings.NewReplacer(".LinuxSyscall", "", "LinuxSeccomp.", "").Replace(typ.Field)
		return fmt.Errorf("%w: %s: line %d, column %d: cannot use JSON %s as %s", ErrInvalid, field, line, col, typ.Value, typ.Type)
	}
	// Errors from a field's own UnmarshalJSON (minKernel) carry no offset.
	return fmt.Errorf("%w: %v", ErrInvalid, err)
}

// lineCol converts a byte offset (just past the error, as encoding/json
// reports it) to 1-based line and column.
func lineCol(body []byte, off int64) (int, int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	if off > 0 {
		off-- // the offset points past the offending byte
	}
	before := body[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// validateDocker checks what only the Docker format has, and each rule with
// its index in the file so the error points at the right place.
func validateDocker(d *dockerprofile.Seccomp) error {
	if err := checkBounds(dockerRules(d.Syscalls)); err != nil {
		return err
	}
	if len(d.Architectures) != 0 && len(d.ArchMap) != 0 {
		return fieldErrorf("archMap", "both architectures and archMap are set; use one of them")
	}
	if len(d.LinuxSeccomp.Syscalls) != 0 {
		return fieldErrorf("syscalls", "unexpected OCI syscalls field")
	}
	top := d.LinuxSeccomp
	if top.DefaultAction != "" || len(d.Syscalls) != 0 {
		if err := validateTop(&top); err != nil {
			return err
		}
	}
	for i, m := range d.ArchMap {
		if _, ok := bpf.Lookup(string(m.Arch)); !ok {
			return fieldErrorf(fmt.Sprintf("archMap[%d].architecture", i), "unknown architecture %q", m.Arch)
		}
		for j, sub := range m.SubArches {
			if _, ok := bpf.Lookup(string(sub)); !ok {
				return fieldErrorf(fmt.Sprintf("archMap[%d].subArchitectures[%d]", i, j), "unknown architecture %q", sub)
			}
		}
	}
	notify := false
	for i, sc := range d.Syscalls {
		field := fmt.Sprintf("syscalls[%d]", i)
		if sc == nil {
			return fieldErrorf(field, "null rule")
		}
		rule := sc.LinuxSyscall
		if sc.Name != "" {
			if len(sc.Names) != 0 {
				return fieldErrorf(field, "both name and names are set; use names")
			}
			rule.Names = []string{sc.Name}
		}
		if err := validateSyscall(field, rule); err != nil {
			return err
		}
		notify = notify || rule.Action == specs.ActNotify
	}
	if notify && d.ListenerPath == "" {
		return fieldErrorf("listenerPath", "required when a rule uses SCMP_ACT_NOTIFY")
	}
	return nil
}

// dockerRules is the Docker-format rules as checkBounds counts them: a
// rule's "name" is one more name.
func dockerRules(in []*dockerprofile.Syscall) []specs.LinuxSyscall {
	out := make([]specs.LinuxSyscall, 0, len(in))
	for _, sc := range in {
		if sc == nil {
			out = append(out, specs.LinuxSyscall{})
			continue
		}
		r := sc.LinuxSyscall
		if sc.Name != "" {
			r.Names = append(r.Names[:len(r.Names):len(r.Names)], sc.Name)
		}
		out = append(out, r)
	}
	return out
}

// capSpec builds the minimal spec moby/profiles reads. It dereferences
// Process.Capabilities unconditionally, so both are always set here.
func capSpec(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{
		Bounding: NormalizeCaps(caps),
	}}}
}

// NormalizeCaps turns "sys_admin" or "SYS_ADMIN" into "CAP_SYS_ADMIN".
func NormalizeCaps(caps []string) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, c)
	}
	return out
}

// DockerProfile is a profile in Docker's format as written: includes and
// excludes unresolved.
type DockerProfile = dockerprofile.Seccomp
