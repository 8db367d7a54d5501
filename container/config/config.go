// Package config loads a runtime-spec config.json and validates it: every
// check that can be made before anything starts, so that a bad config
// never leaves half a container behind, and every field minirun does not
// implement refused by name. The parent (container) and the init
// (container/initproc) both read the parsed values from here.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/inputbounds"
	"github.com/minirun/minirun/internal/specjson"
)

// LoadBundle reads and validates bundle/config.json, as `minirun run -b`
// does.
func LoadBundle(bundle string) (*specs.Spec, error) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, err
	}
	s, err := LoadSpec(abs)
	if err != nil {
		return nil, err
	}
	return s, Validate(s, abs)
}

// LoadSpec reads BUNDLE/config.json. JSON errors name the line and column.
func LoadSpec(bundle string) (*specs.Spec, error) {
	path := filepath.Join(bundle, "config.json")
	data, err := inputbounds.ReadFile(path, inputbounds.ConfigBytes)
	if err != nil {
		return nil, stepErr("load config", err)
	}
	return DecodeSpec(path, data)
}

// DecodeSpec is LoadSpec on bytes already read from path. The size and
// depth bounds come first: they cost one pass, decoding costs far more.
func DecodeSpec(path string, data []byte) (*specs.Spec, error) {
	if len(data) > inputbounds.ConfigBytes {
		return nil, stepErr("load config", inputbounds.Errorf("%s: %d bytes, over the limit of %s", path, len(data), inputbounds.Bytes(inputbounds.ConfigBytes)))
	}
	if err := inputbounds.CheckDepth(data, inputbounds.JSONDepth); err != nil {
		return nil, stepErrf("load config", "%s: %w", path, err)
	}
	var s specs.Spec
	// Unmarshal, not a Decoder: a Decoder stops after the first value and
	// would run a config followed by anything at all.
	if err := specjson.Unmarshal(data, &s); err != nil {
		return nil, stepErrf("load config", "%s: %s", path, describeJSONError(data, err))
	}
	return &s, nil
}

// describeJSONError turns encoding/json's byte offsets into line:column.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var field string
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off, field = te.Offset, te.Field
	}
	if off < 0 {
		return err.Error()
	}
	line, col := 1, 1
	for _, b := range data[:min(int(off), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	if field != "" {
		return fmt.Sprintf("line %d, column %d: field %s: %v", line, col, field, err)
	}
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// RootfsPath is root.path made absolute against the bundle.
func RootfsPath(s *specs.Spec, bundle string) string {
	p := s.Root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	return filepath.Clean(p)
}

// LinuxOf is s.Linux, or an empty one for a config without it.
func LinuxOf(s *specs.Spec) *specs.Linux {
	if s.Linux == nil {
		return &specs.Linux{}
	}
	return s.Linux
}

var (
	stepErr  = errdefs.Step
	stepErrf = errdefs.Stepf
)
