package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// watch streams one JSON watch event per line. Without a resourceVersion it first sends the
// current objects as ADDED, as Kubernetes does; with one it replays every change after it.
// An object that stops matching the selectors is sent as DELETED, one that starts as ADDED.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, t target) error {
	f, err := parseFilter(r)
	if err != nil {
		return err
	}
	from, err := rev(r.URL.Query().Get("resourceVersion"))
	if err != nil {
		return err
	}
	initial, from, events, err := s.openWatch(r.Context(), t, f, from)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	for _, obj := range initial {
		enc.Encode(api.WatchEvent{Type: api.Added, Object: obj})
	}
	rc.Flush()
	last := from
	keepalive := time.NewTicker(30 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil // the client resumes from its last revision
			}
			last = ev.KV.Rev
			out, send, err := s.watchEvent(t.kind, f, ev)
			if err != nil {
				return nil
			}
			if send {
				if err := enc.Encode(out); err != nil {
					return nil
				}
			}
			if len(events) == 0 {
				rc.Flush()
			}
		case <-keepalive.C:
			if err := enc.Encode(api.WatchEvent{Type: api.Bookmark, Object: bookmark(t.kind, last)}); err != nil {
				return nil
			}
			rc.Flush()
		case <-r.Context().Done():
			return nil
		}
	}
}

// openWatch starts a watch of t from revision from. When from is 0, the objects that match f
// come first, as ADDED, and the watch starts at their list's revision, which it returns.
func (s *Server) openWatch(ctx context.Context, t target, f filter, from int64) ([]api.Object, int64, <-chan store.Event, error) {
	var initial []api.Object
	if from == 0 {
		var err error
		if initial, from, err = s.listObjects(t, f); err != nil {
			return nil, 0, nil, err
		}
	}
	s.events.watching(t.kind)
	events, err := s.store.Watch(ctx, t.key(), from)
	if err != nil {
		return nil, 0, nil, storeError(err, t, "")
	}
	return initial, from, events, nil
}

// bookmark is the object of a BOOKMARK event at revision rev: an empty object of kind k.
func bookmark(k *api.Kind, rev int64) api.Object {
	bm := k.New()
	api.SetTypeMeta(bm)
	bm.GetObjectMeta().ResourceVersion = strconv.FormatInt(rev, 10)
	return bm
}

// watchEvent translates a store event through the selectors.
func (s *Server) watchEvent(k *api.Kind, f filter, ev store.Event) (api.WatchEvent, bool, error) {
	obj, err := s.events.object(k, ev.KV)
	if err != nil {
		return api.WatchEvent{}, false, err
	}
	now := f.matches(obj)
	switch ev.Type {
	case store.Added:
		return api.WatchEvent{Type: api.Added, Object: obj}, now, nil
	case store.Deleted:
		return api.WatchEvent{Type: api.Deleted, Object: obj}, now, nil
	}
	was := now
	if ev.PrevValue != nil && !f.everything() {
		prev, err := fromKV(k, store.KV{Key: ev.KV.Key, Value: ev.PrevValue, Rev: ev.KV.Rev})
		if err == nil {
			was = f.matches(prev)
		}
	}
	switch {
	case now && was:
		return api.WatchEvent{Type: api.Modified, Object: obj}, true, nil
	case now:
		return api.WatchEvent{Type: api.Added, Object: obj}, true, nil
	case was:
		return api.WatchEvent{Type: api.Deleted, Object: obj}, true, nil
	}
	return api.WatchEvent{}, false, nil
}
