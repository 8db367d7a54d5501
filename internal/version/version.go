// Package version holds minirun's version. It is part of every cache key that
// depends on the runtime's own code, so bump it when such code changes.
package version

// Version is set at build time with -ldflags "-X ...version.Version=...".
var Version = "0.1.0-dev"

// Commit is the git commit minirun was built from, set by the Makefile
// with -ldflags "-X ...version.Commit=..."; empty in other builds.
var Commit = ""

// OCIVersion is the newest runtime-spec version minirun implements.
const OCIVersion = "1.3.0"
