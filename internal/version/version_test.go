package version

import (
	"regexp"
	"testing"
)

// Engines and runc's version.bats read "NAME version X.Y.Z" from the
// first line of --version: three numeric components.
func TestVersionHasThreeNumbers(t *testing.T) {
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+`).MatchString(Version) {
		t.Fatalf("Version %q does not start with X.Y.Z", Version)
	}
}
