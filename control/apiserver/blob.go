package apiserver

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// serveBlob stores and serves wasm modules by digest: PUT /wk/v1/blobs/sha256:HEX uploads (the
// digest is verified), GET downloads, HEAD tells whether the server has it.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request) {
	digest := strings.TrimPrefix(r.URL.Path, "/wk/v1/blobs/")
	if !validDigest(digest) {
		writeError(w, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "blob digest %q must be sha256:<64 hex digits>", digest))
		return
	}
	switch r.Method {
	case http.MethodHead:
		if !s.store.HasBlob(digest) {
			w.WriteHeader(http.StatusNotFound)
		}
	case http.MethodGet:
		rc, size, err := s.store.OpenBlob(digest)
		if err != nil {
			writeError(w, blobError(err, digest))
			return
		}
		defer rc.Close()
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		io.Copy(w, rc)
	case http.MethodPut:
		body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBlobBytes)
		got, size, err := s.store.PutBlob(body, digest)
		if err != nil {
			writeError(w, blobError(err, digest))
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"digest": got, "size": size})
	default:
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowd, "%s is not supported on blobs", r.Method))
	}
}

func blobError(err error, digest string) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return api.NewStatusError(http.StatusNotFound, api.ReasonNotFound, "blob %s not found", digest)
	case errors.Is(err, store.ErrDigestMismatch):
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "blob content does not match digest %s", digest)
	case errors.As(err, &mbe):
		return api.NewStatusError(http.StatusRequestEntityTooLarge, api.ReasonTooLarge, "blob is larger than %d bytes", mbe.Limit)
	}
	return err
}

func validDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
