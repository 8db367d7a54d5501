package procattr

import (
	"fmt"
	"strconv"
	"strings"
)

// maxListSpan bounds one "a-b" range so a typo like "0-4000000000" is an
// error rather than a huge allocation.
const maxListSpan = 1 << 16

// ParseList parses the kernel's list format ("0-3,5,7-8") into a set.
func ParseList(s string) (map[int]bool, error) {
	out := map[int]bool{}
	s = strings.TrimSpace(s)
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("list %q: bad number %q", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("list %q: bad range %q", s, part)
			}
		}
		if b-a > maxListSpan {
			return nil, fmt.Errorf("list %q: range %q too large", s, part)
		}
		for i := a; i <= b; i++ {
			out[i] = true
		}
	}
	return out, nil
}
