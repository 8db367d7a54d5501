//go:build !cgo

package main

// hasPreMain: this build (bin/minirun-init, pure Go) has no C pre-main.
const hasPreMain = false
