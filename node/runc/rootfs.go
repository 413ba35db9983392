package runc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrUnsafePath is an image entry whose name, link target or symlink chain leaves the rootfs.
var ErrUnsafePath = errors.New("path escapes the rootfs")

// Unpack applies img's layers in order into dir, which must not exist yet. It writes into a
// temporary folder beside dir and renames it to dir only when every layer is applied, so a
// half-unpacked rootfs never appears at dir. Device nodes and FIFOs are skipped: runc gives the
// container its own /dev.
func Unpack(img v1.Image, dir string) error {
	dir = filepath.Clean(dir)
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("unpack into %s: %w", dir, fs.ErrExist)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".unpack-")
	if err != nil {
		return fmt.Errorf("unpack into %s: %w", dir, err)
	}
	if err := applyImage(img, tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("unpack into %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("unpack into %s: %w", dir, err)
	}
	return nil
}

// RootfsFor returns the rootfs of img under cacheDir, unpacking it on first use. The cache is
// keyed by the image's config digest, which names its layers' diff ids and so its content. Two
// concurrent first calls may both unpack; one rename wins and both return the same folder.
func RootfsFor(cacheDir string, img v1.Image) (string, error) {
	d, err := img.ConfigName()
	if err != nil {
		return "", fmt.Errorf("rootfs: config digest: %w", err)
	}
	if !isHex(d.Algorithm) || !isHex(d.Hex) || d.Hex == "" {
		return "", fmt.Errorf("rootfs: config digest %q: not a digest", d)
	}
	dir := filepath.Join(cacheDir, d.Algorithm+"-"+d.Hex)
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("rootfs %s: %w", d, err)
	}
	if err := Unpack(img, dir); err != nil {
		if fi, serr := os.Stat(dir); errors.Is(err, fs.ErrExist) && serr == nil && fi.IsDir() {
			return dir, nil // another caller finished first
		}
		return "", fmt.Errorf("rootfs %s: %w", d, err)
	}
	return dir, nil
}

// isHex reports whether s holds only lowercase letters and digits, so it is safe in a file name.
func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
