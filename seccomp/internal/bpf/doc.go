// Package bpf is classic BPF as the seccomp packages write, run and read
// it: the ABIs a filter tells apart (AUDIT_ARCH, the x32 bit, byte order)
// and how their syscalls are named and numbered, the layout of struct
// seccomp_data, an assembler (Asm) and an interpreter (Run), and what a
// profile's rule stands for in a program (RetOf, Condition).
//
// The hot path (package seccomp) compiles and evaluates programs with it;
// the watchers (seccomp/watch) rewrite programs and read notifications
// with it; the inspection tools (seccomp/inspect) audit and disassemble
// programs with it. It is internal so that sharing it widens the API of
// none of the three.
package bpf
