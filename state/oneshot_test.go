package state

import "github.com/opencontainers/runtime-spec/specs-go"

// The tests' forms of Root's methods: each opens the root for one call,
// as a separate minirun command would.

// Create is OpenRoot(root).Create(id).
func Create(root, id string) (*Handle, error) {
	r, err := OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return r.Create(id)
}

// Open is OpenRoot(root).Open(id).
func Open(root, id string) (*Handle, error) {
	r, err := OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return r.Open(id)
}

// Read is OpenRoot(root).Read(id).
func Read(root, id string) (*State, error) {
	r, err := OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return r.Read(id)
}

// ReadSpec is OpenRoot(root).ReadSpec(id).
func ReadSpec(root, id string) (*specs.Spec, error) {
	r, err := OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return r.ReadSpec(id)
}

// List is OpenRoot(root).List().
func List(root string) ([]string, error) {
	r, err := OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return r.List()
}

// RemoveStale is OpenRoot(root).RemoveStale(id).
func RemoveStale(root, id string) bool {
	r, err := OpenRoot(root)
	return err == nil && r.RemoveStale(id)
}

// LockRoot is OpenRoot(root).Lock().
func LockRoot(root string) (func(), error) {
	r, err := OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return r.Lock()
}
