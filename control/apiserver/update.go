package apiserver

import (
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/wk-project/wk/control/api"
)

// update is PUT on an object or its status. The main resource keeps the stored status; the status
// subresource changes nothing but status. A resourceVersion in the body makes it a compare-and-swap.
func (s *Server) update(w http.ResponseWriter, r *http.Request, t target) error {
	obj, err := readObject(r, t.kind, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	m := obj.GetObjectMeta()
	if m.Name != t.name {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"the name of the object (%s) does not match the name on the URL (%s)", m.Name, t.name)
	}
	if err := s.placeNamespace(t, m); err != nil {
		return err
	}
	expect, err := rev(m.ResourceVersion)
	if err != nil {
		return err
	}
	kv, err := s.store.Get(t.key())
	if err != nil {
		return storeError(err, t, t.name)
	}
	old, err := fromKV(t.kind, kv)
	if err != nil {
		return err
	}
	if expect == 0 {
		expect = kv.Rev
	}
	var next api.Object
	if t.sub == "status" {
		next = withStatus(old, obj)
	} else {
		next = obj
		carryServerFields(next, old, true)
		keepServiceAddresses(next, old)
	}
	saved, err := s.replace(t, old, next, expect)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

// replace validates next against old and stores it if the stored revision is still expect.
func (s *Server) replace(t target, old, next api.Object, expect int64) (api.Object, error) {
	api.SetDefaults(next)
	m := next.GetObjectMeta()
	if specOf(next) != specOf(old) {
		m.Generation = old.GetObjectMeta().Generation + 1
	}
	if errs := api.ValidateUpdate(next, old); len(errs) > 0 {
		return nil, api.NewInvalid(t.kind, m.Name, errs)
	}
	val, err := toValue(next)
	if err != nil {
		return nil, err
	}
	kv, err := s.store.Update(t.kind.StoreKey(m.Namespace, m.Name), val, expect)
	if err != nil {
		return nil, storeError(err, t, m.Name)
	}
	return fromKV(t.kind, kv)
}

// carryServerFields copies what only the server sets from old into next: identity, timestamps,
// generation, and (unless keepStatus is false) the status.
func carryServerFields(next, old api.Object, keepStatus bool) {
	nm, om := next.GetObjectMeta(), old.GetObjectMeta()
	nm.UID = om.UID
	nm.CreationTimestamp = om.CreationTimestamp
	nm.DeletionTimestamp = om.DeletionTimestamp
	nm.Generation = om.Generation
	if keepStatus {
		copyField(next, old, "Status")
	}
}

// withStatus is old with obj's status.
func withStatus(old, obj api.Object) api.Object {
	next := cloneObject(old)
	copyField(next, obj, "Status")
	next.GetObjectMeta().ResourceVersion = obj.GetObjectMeta().ResourceVersion
	return next
}

// copyField sets dst.name = src.name when both have such a field.
func copyField(dst, src api.Object, name string) {
	d := reflect.ValueOf(dst).Elem().FieldByName(name)
	sv := reflect.ValueOf(src).Elem().FieldByName(name)
	if d.IsValid() && sv.IsValid() && d.CanSet() {
		d.Set(sv)
	}
}

// specOf is the JSON of everything an object declares: all but metadata and status.
func specOf(obj api.Object) string {
	b, _ := json.Marshal(obj)
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	delete(m, "metadata")
	delete(m, "status")
	delete(m, "apiVersion")
	delete(m, "kind")
	out, _ := json.Marshal(m)
	return string(out)
}

func cloneObject(obj api.Object) api.Object {
	k := api.KindOf(obj)
	c := k.New()
	b, _ := json.Marshal(obj)
	json.Unmarshal(b, c)
	return c
}
