package seccomp

import "github.com/minirun/minirun/seccomp/filter"

// Filter is what the init needs of the program to load it.
func (p *Program) Filter() *filter.Filter {
	if p == nil {
		return nil
	}
	return &filter.Filter{Instructions: p.Instructions, Flags: p.Flags, Listener: p.Listener, Rules: p.Rules}
}

// Load installs the program on the calling process (filter.Filter.Load).
func (p *Program) Load() (int, error) { return p.Filter().Load() }
