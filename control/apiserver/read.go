package apiserver

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// filter holds a request's label and field selectors.
type filter struct {
	labels api.Selector
	fields api.FieldSelector
}

func parseFilter(r *http.Request) (filter, error) {
	q := r.URL.Query()
	return newFilter(q.Get("labelSelector"), q.Get("fieldSelector"))
}

// newFilter parses a label and a field selector.
func newFilter(labels, fields string) (filter, error) {
	ls, err := api.ParseSelector(labels)
	if err != nil {
		return filter{}, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "labelSelector: %v", err)
	}
	fs, err := api.ParseFieldSelector(fields)
	if err != nil {
		return filter{}, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "fieldSelector: %v", err)
	}
	return filter{labels: ls, fields: fs}, nil
}

// everything reports whether f matches every object.
func (f filter) everything() bool { return f.labels.Empty() && f.fields.Empty() }

func (f filter) matches(obj api.Object) bool {
	return f.labels.Matches(obj.GetObjectMeta().Labels) && f.fields.Matches(obj)
}

func (s *Server) get(w http.ResponseWriter, t target) error {
	obj, err := s.getObject(t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, obj)
	return nil
}

// getObject reads the object t names.
func (s *Server) getObject(t target) (api.Object, error) {
	kv, err := s.store.Get(t.key())
	if err != nil {
		return nil, storeError(err, t, t.name)
	}
	return fromKV(t.kind, kv)
}

// list answers KIND List with the objects that match the selectors, at one consistent revision.
func (s *Server) list(w http.ResponseWriter, r *http.Request, t target) error {
	f, err := parseFilter(r)
	if err != nil {
		return err
	}
	items, rv, err := s.listObjects(t, f)
	if err != nil {
		return err
	}
	raw := make([]json.RawMessage, 0, len(items))
	for _, obj := range items {
		b, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		raw = append(raw, b)
	}
	writeJSON(w, http.StatusOK, struct {
		api.TypeMeta `json:",inline"`
		Metadata     api.ListMeta      `json:"metadata"`
		Items        []json.RawMessage `json:"items"`
	}{
		TypeMeta: api.TypeMeta{APIVersion: t.kind.APIVersion(), Kind: t.kind.Kind + "List"},
		Metadata: api.ListMeta{ResourceVersion: strconv.FormatInt(rv, 10)},
		Items:    raw,
	})
	return nil
}

func (s *Server) listObjects(t target, f filter) ([]api.Object, int64, error) {
	kvs, rv, err := s.store.List(t.key())
	if err != nil {
		return nil, 0, storeError(err, t, "")
	}
	var items []api.Object
	for _, kv := range kvs {
		obj, err := fromKV(t.kind, kv)
		if err != nil {
			return nil, 0, err
		}
		if f.matches(obj) {
			items = append(items, obj)
		}
	}
	return items, rv, nil
}
