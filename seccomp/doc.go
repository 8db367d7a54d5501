// Package seccomp turns seccomp profiles (Docker's JSON format and the OCI
// linux.seccomp form) into classic-BPF programs, caches them, loads them with
// the raw seccomp(2) syscall and explains what they do.
//
// The parent compiles (or finds in the cache) a Program and sends it to the
// container's init, which only calls Load: libseccomp never runs inside the
// container, and a repeated start costs a file read instead of a compile.
package seccomp
