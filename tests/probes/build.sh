#!/bin/sh
# Build the seccomp probes into DIR: static, so they run in the busybox
# rootfs, and with glibc's pthreads, so thread creation takes glibc's
# clone3-then-clone path as real programs do.
set -eu
out=${1:?usage: build.sh DIR}
here=$(dirname "$0")
command -v gcc >/dev/null || { echo "probes: gcc not found (apt-get install gcc libc6-dev)" >&2; exit 3; }
mkdir -p "$out"
gcc -static -pthread -O2 -Wall -Werror -o "$out/probe" "$here/probe.c"
