package namespaces

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestFromSpecOrdersByTable(t *testing.T) {
	p, err := FromSpec([]specs.LinuxNamespace{
		{Type: specs.MountNamespace}, {Type: specs.PIDNamespace},
		{Type: specs.UserNamespace}, {Type: specs.NetworkNamespace, Path: "/proc/1/ns/net"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range p.New {
		got = append(got, string(k.Type))
	}
	if strings.Join(got, ",") != "user,pid,mount" {
		t.Fatalf("order %v", got)
	}
	if len(p.Join) != 1 || p.Join[0].Proc != "net" || p.Join[0].Path != "/proc/1/ns/net" {
		t.Fatalf("join %+v", p.Join)
	}
	if f := p.CloneFlags(); f != unix.CLONE_NEWUSER|unix.CLONE_NEWPID|unix.CLONE_NEWNS {
		t.Fatalf("flags %#x", f)
	}
	if !p.Creates(specs.UserNamespace) || p.Creates(specs.NetworkNamespace) || !p.Joins(specs.NetworkNamespace) {
		t.Fatal("Creates/Joins wrong")
	}
}

func TestTimeIsACloneFlag(t *testing.T) {
	p, err := FromSpec([]specs.LinuxNamespace{{Type: specs.TimeNamespace}})
	if err != nil {
		t.Fatal(err)
	}
	if p.CloneFlags() != unix.CLONE_NEWTIME || !p.Creates(specs.TimeNamespace) {
		t.Fatalf("time namespace: flags %#x", p.CloneFlags())
	}
}

func TestFromSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		nss  []specs.LinuxNamespace
		want string
	}{
		{[]specs.LinuxNamespace{{Type: "bogus"}}, `linux.namespaces[0]: unknown namespace type "bogus"`},
		{[]specs.LinuxNamespace{{Type: "pid"}, {Type: "pid"}}, `linux.namespaces[1]: namespace "pid" listed twice`},
	} {
		_, err := FromSpec(tc.nss)
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
}

// Every namespace `minirun features` lists is one a config may ask for.
func TestNamesAreAccepted(t *testing.T) {
	names := Names()
	if len(names) != len(Table) {
		t.Fatalf("%v", names)
	}
	for _, n := range names {
		plan, err := FromSpec([]specs.LinuxNamespace{{Type: specs.LinuxNamespaceType(n)}})
		if err != nil || !plan.Creates(specs.LinuxNamespaceType(n)) {
			t.Errorf("%s: %v", n, err)
		}
	}
}
