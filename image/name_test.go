package image

import "testing"

func TestNormalizeName(t *testing.T) {
	cases := map[string]string{
		"alpine":                           "docker.io/library/alpine:latest",
		"alpine:3.19":                      "docker.io/library/alpine:3.19",
		"library/alpine":                   "docker.io/library/alpine:latest",
		"docker.io/alpine":                 "docker.io/library/alpine:latest",
		"index.docker.io/library/alpine:1": "docker.io/library/alpine:1",
		"user/app:v2":                      "docker.io/user/app:v2",
		"quay.io/org/app":                  "quay.io/org/app:latest",
		"localhost:5000/busybox":           "localhost:5000/busybox:latest",
		"127.0.0.1:5000/a/b:c":             "127.0.0.1:5000/a/b:c",
		"alpine@sha256:0123456789012345678901234567890123456789012345678901234567890123": "docker.io/library/alpine@sha256:0123456789012345678901234567890123456789012345678901234567890123",
	}
	for in, want := range cases {
		got, err := NormalizeName(in)
		if err != nil {
			t.Errorf("NormalizeName(%q): %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "UPPER", "a b", "alpine:", ":tag"} {
		if got, err := NormalizeName(bad); err == nil {
			t.Errorf("NormalizeName(%q) = %q, want an error", bad, got)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for reg, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1:41234": true, "[::1]:5000": true, "localhost": true,
		"docker.io": false, "example.com:5000": false, "10.0.0.1:5000": false,
	} {
		if got := isLoopback(reg); got != want {
			t.Errorf("isLoopback(%q) = %v", reg, got)
		}
	}
}

func TestFamiliarName(t *testing.T) {
	for norm, want := range map[string][2]string{
		"docker.io/library/alpine:latest": {"alpine", "latest"},
		"docker.io/someone/tool:1":        {"someone/tool", "1"},
		"127.0.0.1:5000/test/busybox:1":   {"127.0.0.1:5000/test/busybox", "1"},
		"localhost:5000/x@sha256:abcd":    {"localhost:5000/x", "sha256:abcd"},
		"quay.io/library/thing:2":         {"quay.io/library/thing", "2"},
	} {
		repo, tag := SplitName(norm)
		if repo != want[0] || tag != want[1] {
			t.Errorf("SplitName(%q) = %q, %q; want %q", norm, repo, tag, want)
		}
	}
	if got := FamiliarName("docker.io/library/alpine:latest"); got != "alpine:latest" {
		t.Errorf("FamiliarName = %q", got)
	}
}
