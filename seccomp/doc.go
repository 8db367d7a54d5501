// Package seccomp turns seccomp profiles (Docker's JSON format and the OCI
// linux.seccomp form) into classic-BPF programs, caches them and loads them
// with the raw seccomp(2) syscall: what a container's start needs of
// seccomp, and no more.
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
//
// The start also asks the compiled program, through the interpreter
// (Evaluate), whether the calls the runtime makes after loading it are
// allowed, and hands the listener of a profile with SCMP_ACT_NOTIFY to the
// agent at its listenerPath (SendListener).
//
// # The packages beside it
//
// The rest of seccomp lives in packages of its own, split by who needs it:
//   - seccomp/filter: a compiled filter as the init receives and loads it,
//     without cgo, so the init links neither libseccomp nor this package.
//   - seccomp/watch: the denial report (--seccomp-report) and the recorder
//     (--seccomp-record), a supervisor in minirun's parent answering the
//     container's notifications. Only a run that asks for one uses it; it
//     rewrites the program this package compiled.
//   - seccomp/inspect: `minirun seccomp explain`, `audit` and `bpf`. No
//     start uses it.
//   - seccomp/internal/bpf: what the three share, internal so that it
//     widens none of their APIs: the arch table, struct seccomp_data, the
//     BPF assembler and interpreter.
//
// Imports run one way: watch and inspect import this package, and this
// package imports neither, so a change to the report or to the tools
// cannot reach the compile and load that every start runs.
package seccomp
