package network

import (
	"strings"
	"testing"
)

func TestParsePublish(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // mappings joined by ","
	}{
		{"80", "80/tcp -> 0.0.0.0:0"},
		{"8080:80", "80/tcp -> 0.0.0.0:8080"},
		{"127.0.0.1:8080:80/udp", "80/udp -> 127.0.0.1:8080"},
		{"127.0.0.1::80", "80/tcp -> 127.0.0.1:0"},
		{"8000-8001:80-81", "80/tcp -> 0.0.0.0:8000,81/tcp -> 0.0.0.0:8001"},
	} {
		ms, err := ParsePublish(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.String())
		}
		if g := strings.Join(got, ","); g != c.want {
			t.Errorf("%s: got %s, want %s", c.in, g, c.want)
		}
	}
	for _, bad := range []string{"", "x", "0", "70000", "80/sctp", "1:2:3:4", "nothost:80:80", "8000-8002:80-81", "90-80"} {
		if _, err := ParsePublish(bad); err == nil || !strings.HasPrefix(err.Error(), "-p "+bad+":") {
			t.Errorf("%q: want a one-line error naming it, got %v", bad, err)
		}
	}
}

func TestResolvConf(t *testing.T) {
	host := []byte("# a comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.com\noptions edns0\n")
	got := string(ResolvConf(host, DNS{}))
	if want := "nameserver 10.0.0.2\nsearch example.com\noptions edns0\n"; got != want {
		t.Errorf("host's without loopback: got %q, want %q", got, want)
	}
	got = string(ResolvConf([]byte("nameserver 127.0.0.1\n"), DNS{}))
	if want := "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"; got != want {
		t.Errorf("only loopback resolvers: got %q, want Docker's fallback %q", got, want)
	}
	got = string(ResolvConf(host, DNS{Servers: []string{"1.1.1.1"}, Search: []string{"a.test"}, Options: []string{"ndots:2"}}))
	if want := "nameserver 1.1.1.1\nsearch a.test\noptions ndots:2\n"; got != want {
		t.Errorf("--dns flags: got %q, want %q", got, want)
	}
}

func TestParseAddHost(t *testing.T) {
	for in, want := range map[string][2]string{
		"db:10.0.0.5": {"db", "10.0.0.5"}, "db=10.0.0.5": {"db", "10.0.0.5"}, "v6:[::1]": {"v6", "::1"}, "v6=::1": {"v6", "::1"},
	} {
		n, ip, err := ParseAddHost(in)
		if err != nil || n != want[0] || ip != want[1] {
			t.Errorf("%s: got %s %s %v", in, n, ip, err)
		}
	}
	for _, bad := range []string{"db", "db:notanip", ":1.2.3.4"} {
		if _, _, err := ParseAddHost(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestCreateChecksSubnets(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Create(CreateOptions{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(CreateOptions{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Subnet == b.Subnet {
		t.Errorf("two networks share %s", a.Subnet)
	}
	if _, err := s.Create(CreateOptions{Name: "a"}); err == nil {
		t.Error("a second network named a was made")
	}
	if _, err := s.Create(CreateOptions{Name: "c", Subnet: a.Subnet}); err == nil || !strings.Contains(err.Error(), "overlaps network a") {
		t.Errorf("overlapping subnet: %v", err)
	}
	if _, err := s.Create(CreateOptions{Name: "d", Subnet: "10.99.0.0/24", Gateway: "10.98.0.1"}); err == nil {
		t.Error("a gateway outside the subnet was taken")
	}
	if _, err := s.Create(CreateOptions{Name: "../x"}); err == nil {
		t.Error("a name with a slash was taken")
	}
	if n, err := s.Get(a.ID[:6]); err != nil || n.Name != "a" {
		t.Errorf("by id prefix: %v %v", n, err)
	}
	if _, err := s.Remove("bridge"); err == nil {
		t.Error("the default network was removed")
	}
	if _, err := s.Remove("a"); err != nil {
		t.Errorf("rm a: %v", err)
	}
	// "a" is also an id prefix: b's id may start with it.
	if n, err := s.Get("a"); err == nil && n.Name == "a" {
		t.Error("a is still there")
	}
}
