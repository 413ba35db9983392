package apiserver

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with a Status; errors that are not already a Status become a 500.
func writeError(w http.ResponseWriter, err error) {
	var se *api.StatusError
	if !errors.As(err, &se) {
		se = api.NewStatusError(http.StatusInternalServerError, api.ReasonInternal, "%v", err)
	}
	writeJSON(w, int(se.Status.Code), se.Status)
}

// storeError turns a store sentinel into the Status a client expects.
func storeError(err error, t target, name string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return api.NewNotFound(t.kind, name)
	case errors.Is(err, store.ErrExists):
		return api.NewAlreadyExists(t.kind, name)
	case errors.Is(err, store.ErrConflict):
		return api.NewConflict(t.kind, name)
	case errors.Is(err, store.ErrCompacted):
		return api.NewStatusError(http.StatusGone, api.ReasonGone, "too old resource version: %v", err)
	case errors.Is(err, store.ErrClosed):
		return api.NewStatusError(http.StatusServiceUnavailable, api.ReasonUnavailable, "the store is shutting down")
	}
	return err
}
