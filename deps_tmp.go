//go:build tools

package main
import (
 _ "github.com/opencontainers/runtime-spec/specs-go"
 _ "github.com/seccomp/libseccomp-golang"
 _ "github.com/moby/sys/capability"
 _ "github.com/urfave/cli/v2"
 _ "github.com/moby/profiles/seccomp"
 _ "github.com/cyphar/filepath-securejoin"
 _ "github.com/google/go-containerregistry/pkg/v1"
 _ "github.com/containerd/cgroups/v3"
 _ "golang.org/x/sys/unix"
 _ "golang.org/x/net/bpf"
 _ "github.com/containerd/go-runc"
)
