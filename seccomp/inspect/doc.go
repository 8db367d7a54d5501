// Package inspect answers questions about a seccomp profile without
// running anything under it, for `minirun seccomp`: what each syscall gets
// (Explain), what the profile lets through that people usually don't mean
// it to (Audit), and the compiled program one instruction a line
// (Disassemble). The one-call question, `seccomp check`, is
// seccomp.Program.Evaluate itself, which the start also asks.
//
// It is apart from package seccomp because a container's start never
// needs it: the hot path compiles, caches and loads, and carries none of
// these tables of advice and names. It reads compiled programs the way
// the kernel runs them, through the interpreter in seccomp/internal/bpf.
package inspect
