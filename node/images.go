package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// imageError is a failed pull with the waiting reason the pod shows (ErrImagePull, InvalidImage).
type imageError struct {
	reason string
	err    error
}

func (e *imageError) Error() string { return e.err.Error() }
func (e *imageError) Unwrap() error { return e.err }

// blobSource fetches a module from the control plane's blob store.
type blobSource interface {
	OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error)
}

// imageStore fetches wasm modules and caches them on disk by digest.
type imageStore struct {
	dir   string
	blobs blobSource
	http  *http.Client
}

const maxModuleBytes = 256 << 20

// fetch resolves an image to a verified module: "sha256:HEX" from the control plane's blob store,
// "https://...#sha256:HEX" or "https://...@sha256:HEX" over HTTPS, and OCI images from a registry
// or an image transport (fetchOCI). Modules are cached by digest.
func (s *imageStore) fetch(ctx context.Context, image string) (string, []byte, error) {
	digest, source, err := parseImage(image)
	if err != nil {
		return "", nil, &imageError{reason: "InvalidImageName", err: err}
	}
	if digest == "" {
		return fetchOCI(ctx, image, authn.DefaultKeychain)
	}
	if b, err := os.ReadFile(s.path(digest)); err == nil && digestOf(b) == digest {
		return digest, b, nil
	}
	b, err := s.download(ctx, digest, source)
	if err != nil {
		return "", nil, &imageError{reason: "ErrImagePull", err: err}
	}
	if got := digestOf(b); got != digest {
		return "", nil, &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: content has digest %s", image, got)}
	}
	if err := writeFileAtomic(s.path(digest), b); err != nil {
		return "", nil, err
	}
	return digest, b, nil
}

func (s *imageStore) download(ctx context.Context, digest, source string) ([]byte, error) {
	var rc io.ReadCloser
	var err error
	if source == "" {
		rc, err = s.blobs.OpenBlob(ctx, digest)
	} else {
		rc, err = s.get(ctx, source)
	}
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxModuleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", digest, err)
	}
	if len(b) > maxModuleBytes {
		return nil, fmt.Errorf("pull %s: larger than %d bytes", digest, maxModuleBytes)
	}
	return b, nil
}

func (s *imageStore) get(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

func (s *imageStore) path(digest string) string {
	return filepath.Join(s.dir, "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// parseImage splits an image into its digest and, for https images, the URL to fetch. An OCI image
// (registry reference or image transport) has neither: its digest is known once it is pulled.
func parseImage(image string) (digest, url string, err error) {
	if strings.HasPrefix(image, "sha256:") {
		return image, "", checkDigest(image)
	}
	if strings.HasPrefix(image, "https://") || strings.HasPrefix(image, "http://") {
		for _, sep := range []string{"#", "@"} {
			if i := strings.LastIndex(image, sep+"sha256:"); i > 0 {
				return image[i+1:], image[:i], checkDigest(image[i+1:])
			}
		}
		return "", "", fmt.Errorf("image %q: an https image needs its digest, as URL#sha256:HEX", image)
	}
	_, err = parseOCIRef(image)
	return "", "", err
}

func checkDigest(d string) error {
	hexPart := strings.TrimPrefix(d, "sha256:")
	if _, err := hex.DecodeString(hexPart); err != nil || len(hexPart) != 64 {
		return errors.New("digest " + d + " is not sha256:<64 hex digits>")
	}
	return nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// writeFileAtomic writes b to path through a temporary file and a rename.
func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
