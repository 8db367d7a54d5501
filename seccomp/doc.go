// Package seccomp turns seccomp profiles (Docker's JSON format and the OCI
// linux.seccomp form) into classic-BPF programs, caches them, loads them with
// the raw seccomp(2) syscall and explains what they do.
//
// The parent compiles (or finds in the cache) a Program and sends it to the
// container's init, which only calls Load: libseccomp never runs inside the
// container, and a repeated start costs a file read instead of a compile.
//
// A compiled Program is libseccomp's filter with a short stub in front
// (enosys.go). The stub gives ENOSYS to syscall numbers the profile cannot
// know (above the highest number it names for the ABI, or unnamed), so libc
// falls back (clone3 -> clone) instead of failing with the default EPERM. It
// dispatches on seccomp_data.arch, and on x86_64 on the x32 bit, so 32-bit
// calls made through int $0x80 are checked against the x86 numbers.
//
// Cache entries (cache.go) are keyed on the profile's canonical JSON, the
// arch, the kernel release, the libseccomp version and minirun's version;
// each carries a sha256 of its body, and a bad entry is recompiled.
package seccomp
