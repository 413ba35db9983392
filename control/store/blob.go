package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const digestPrefix = "sha256:"

// PutBlob stores the content of r and returns its digest ("sha256:<hex>") and size. A non-empty
// expectDigest must match, else ErrDigestMismatch and nothing is kept. The content is written to
// a temporary file, synced and renamed into place, so a blob is either whole or absent.
func (s *Store) PutBlob(r io.Reader, expectDigest string) (digest string, size int64, err error) {
	if expectDigest != "" {
		if _, err := parseDigest(expectDigest); err != nil {
			return "", 0, fmt.Errorf("put blob: %w", err)
		}
	}
	if s.isClosed.Load() {
		return "", 0, fmt.Errorf("put blob: %w", ErrClosed)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.blobDir, "tmp"), "put-*")
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if size, err = io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		return "", 0, fmt.Errorf("put blob: write: %w", err)
	}
	digest = digestPrefix + hex.EncodeToString(h.Sum(nil))
	if expectDigest != "" && digest != expectDigest {
		return "", 0, fmt.Errorf("put blob %s: %w: content is %s", expectDigest, ErrDigestMismatch, digest)
	}
	if err = tmp.Sync(); err == nil {
		err = tmp.Close()
	}
	if err != nil {
		return "", 0, fmt.Errorf("put blob %s: sync: %w", digest, err)
	}
	dir := filepath.Join(s.blobDir, "sha256")
	if err = os.Rename(tmp.Name(), filepath.Join(dir, digest[len(digestPrefix):])); err != nil {
		return "", 0, fmt.Errorf("put blob %s: %w", digest, err)
	}
	if err = syncDir(dir); err != nil {
		return "", 0, fmt.Errorf("put blob %s: %w", digest, err)
	}
	return digest, size, nil
}

// OpenBlob opens the blob with the digest and returns its size; ErrNotFound if absent.
func (s *Store) OpenBlob(digest string) (io.ReadCloser, int64, error) {
	path, err := s.blobPath(digest)
	if err != nil {
		return nil, 0, fmt.Errorf("open blob: %w", err)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("open blob %s: %w", digest, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", digest, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("open blob %s: %w", digest, err)
	}
	return f, st.Size(), nil
}

// HasBlob reports whether the blob with the digest is stored.
func (s *Store) HasBlob(digest string) bool {
	path, err := s.blobPath(digest)
	if err != nil {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func (s *Store) blobPath(digest string) (string, error) {
	hexDigest, err := parseDigest(digest)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.blobDir, "sha256", hexDigest), nil
}

// parseDigest checks "sha256:<64 lowercase hex>" and returns the hex part.
func parseDigest(digest string) (string, error) {
	h, ok := strings.CutPrefix(digest, digestPrefix)
	if !ok || len(h) != 2*sha256.Size || strings.ToLower(h) != h {
		return "", fmt.Errorf("%w: digest %q is not sha256:<64 lowercase hex>", ErrInvalid, digest)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("%w: digest %q is not sha256:<64 lowercase hex>", ErrInvalid, digest)
	}
	return h, nil
}

// prepareBlobDir creates the blob folders and clears uploads a crash left behind.
func prepareBlobDir(dir string) error {
	for _, sub := range []string{"sha256", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("create blob dir: %w", err)
		}
	}
	tmp := filepath.Join(dir, "tmp")
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("read blob temp dir: %w", err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(tmp, e.Name())); err != nil {
			return fmt.Errorf("clear blob temp dir: %w", err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
