package runc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// WriteBundle writes spec as dir/config.json, making dir if needed. The rootfs is the one spec
// names in Root.Path; it must be an absolute path, so the bundle need not hold it. The file is
// written beside its final name and renamed, so runc never reads a partial config.
func WriteBundle(dir string, spec *specs.Spec) error {
	if spec == nil || spec.Root == nil || !filepath.IsAbs(spec.Root.Path) {
		return errors.New("write bundle: spec has no absolute root path")
	}
	data, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return fmt.Errorf("write bundle %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write bundle %s: %w", dir, err)
	}
	tmp := filepath.Join(dir, ".config.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write bundle %s: %w", dir, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "config.json")); err != nil {
		return fmt.Errorf("write bundle %s: %w", dir, err)
	}
	return nil
}
