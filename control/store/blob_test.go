package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBlobs(t *testing.T) {
	s := openTest(t, nil)
	content := []byte("\x00asm\x01\x00\x00\x00 pretend module")
	sum := sha256.Sum256(content)
	want := "sha256:" + hex.EncodeToString(sum[:])

	if s.HasBlob(want) {
		t.Fatal("HasBlob before put")
	}
	if _, _, err := s.OpenBlob(want); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open before put: %v", err)
	}
	digest, size, err := s.PutBlob(bytes.NewReader(content), "")
	if err != nil || digest != want || size != int64(len(content)) {
		t.Fatalf("put = %s, %d, %v", digest, size, err)
	}
	if _, _, err := s.PutBlob(bytes.NewReader(content), want); err != nil { // again, verified
		t.Fatalf("put again: %v", err)
	}
	if !s.HasBlob(want) {
		t.Fatal("HasBlob after put")
	}
	rc, n, err := s.OpenBlob(want)
	if err != nil || n != int64(len(content)) {
		t.Fatalf("open = %d, %v", n, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back %q, %v", got, err)
	}
}

func TestBlobDigestMismatch(t *testing.T) {
	s := openTest(t, nil)
	other := "sha256:" + strings.Repeat("ab", 32)
	if _, _, err := s.PutBlob(strings.NewReader("some bytes"), other); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("put with wrong digest: %v", err)
	}
	if s.HasBlob(other) {
		t.Fatal("blob kept after mismatch")
	}
	for _, sub := range []string{"sha256", "tmp"} {
		entries, err := os.ReadDir(filepath.Join(s.cfg.Dir, "blobs", sub))
		if err != nil || len(entries) != 0 {
			t.Fatalf("blobs/%s after mismatch: %d entries, %v", sub, len(entries), err)
		}
	}
}

func TestBlobInvalidDigest(t *testing.T) {
	s := openTest(t, nil)
	for _, d := range []string{"", "sha256:", "md5:abcd", "sha256:" + strings.Repeat("AB", 32),
		"sha256:" + strings.Repeat("zz", 32), "sha256:../../etc/passwd"} {
		if s.HasBlob(d) {
			t.Errorf("HasBlob(%q) = true", d)
		}
		if _, _, err := s.OpenBlob(d); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenBlob(%q): %v, want ErrInvalid", d, err)
		}
		if d == "" {
			continue // "" means no check for PutBlob
		}
		if _, _, err := s.PutBlob(strings.NewReader("x"), d); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutBlob(%q): %v, want ErrInvalid", d, err)
		}
	}
}
