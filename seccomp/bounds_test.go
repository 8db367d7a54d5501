package seccomp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/internal/inputbounds"
)

func readRules(n, args int) []specs.LinuxSyscall {
	rules := make([]specs.LinuxSyscall, n)
	for i := range rules {
		rules[i] = specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActErrno}
		for j := 0; j < args; j++ {
			rules[i].Args = append(rules[i].Args, specs.LinuxSeccompArg{Index: uint(j % 6), Value: uint64(i), Op: specs.OpEqualTo})
		}
	}
	return rules
}

func TestBoundsRefuseBeforeCompiling(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxSyscall
		want  string
	}{
		{"rules", readRules(MaxRules+1, 0), "syscalls: 4097 rules, over the limit of 4096"},
		{"args", readRules(1, MaxArgs+1), "syscalls[0].args: 33 conditions, over the limit of 32"},
		{"names", []specs.LinuxSyscall{{Names: make([]string, MaxNames+1), Action: specs.ActErrno}}, "4097 syscall names in all, over the limit of 4096"},
		{"comparisons", readRules(MaxComparisons/6+1, 6), "4098 comparisons"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: tc.rules}
			start := time.Now()
			_, err := Compile(s)
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, inputbounds.ErrTooLarge) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			// Compiling any of these takes libseccomp seconds.
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("refused after %v: it was compiled first", d)
			}
		})
	}
}

func TestBoundsAtTheLimitPass(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: readRules(MaxComparisons/2, 2)}
	if err := Validate(s); err != nil {
		t.Fatal(err)
	}
}

// Every real profile must stay well inside the bounds; Docker's default,
// resolved with every capability (its largest form), is the yardstick.
func TestBoundsDockerDefaultFarInside(t *testing.T) {
	for _, set := range [][]string{caps.DockerDefaults, caps.All()} {
		s, err := DefaultProfile(set)
		if err != nil {
			t.Fatal(err)
		}
		rules, names, cost := len(s.Syscalls), 0, 0
		for _, sc := range s.Syscalls {
			names += len(sc.Names)
			cost += len(sc.Names) * max(1, len(sc.Args))
		}
		t.Logf("Docker's default: %d rules, %d names, %d comparisons", rules, names, cost)
		if rules*8 > MaxRules || names*8 > MaxNames || cost*8 > MaxComparisons {
			t.Errorf("Docker's default (%d rules, %d names, %d comparisons) is within 8x of a bound", rules, names, cost)
		}
	}
}

func TestBoundsDockerFormat(t *testing.T) {
	var rules []map[string]any
	for i := 0; i < MaxRules+1; i++ {
		rules = append(rules, map[string]any{"name": "read", "action": "SCMP_ACT_ERRNO"})
	}
	body, _ := json.Marshal(map[string]any{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules})
	_, err := ParseProfile(body, nil)
	if !errors.Is(err, inputbounds.ErrTooLarge) || !strings.Contains(err.Error(), "4097 rules") {
		t.Fatalf("got %v", err)
	}
	deep := []byte(`{"defaultAction":"SCMP_ACT_ALLOW","x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `}`)
	if _, err := ParseProfile(deep, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "deeper than the limit of 64") {
		t.Fatalf("deep profile: got %v", err)
	}
	big := make([]byte, inputbounds.ProfileBytes+1)
	if _, err := ParseProfile(big, nil); !errors.Is(err, inputbounds.ErrTooLarge) || !strings.Contains(err.Error(), "over the limit of 4 MiB") {
		t.Fatalf("big profile: got %v", err)
	}
}
