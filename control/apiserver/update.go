package apiserver

import (
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// update is PUT on an object or its status. The main resource keeps the stored status; the status
// subresource changes nothing but status. A resourceVersion in the body makes it a compare-and-swap.
func (s *Server) update(w http.ResponseWriter, r *http.Request, t target) error {
	obj, err := readObject(r, t.kind, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	saved, err := s.updateObject(t, obj)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

// updateObject replaces the object t names (or, for t.sub "status", its status) with obj.
func (s *Server) updateObject(t target, obj api.Object) (api.Object, error) {
	defer s.lockServices(t)()
	w, err := s.prepareUpdate(t, obj)
	if err != nil {
		return nil, err
	}
	return s.commit(w)
}

// prepareUpdate is updateObject up to the write.
func (s *Server) prepareUpdate(t target, obj api.Object) (write, error) {
	m := obj.GetObjectMeta()
	if m.Name != t.name {
		return write{}, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"the name of the object (%s) does not match the name on the URL (%s)", m.Name, t.name)
	}
	if err := s.placeNamespace(t, m); err != nil {
		return write{}, err
	}
	expect, err := rev(m.ResourceVersion)
	if err != nil {
		return write{}, err
	}
	kv, err := s.store.Get(t.key())
	if err != nil {
		return write{}, storeError(err, t, t.name)
	}
	old, err := s.decodeStored(t.kind, kv)
	if err != nil {
		return write{}, err
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
	return s.prepareReplace(t, old, next, expect)
}

// replace validates next against old and stores it if the stored revision is still expect.
func (s *Server) replace(t target, old, next api.Object, expect int64) (api.Object, error) {
	defer s.lockServices(t)()
	w, err := s.prepareReplace(t, old, next, expect)
	if err != nil {
		return nil, err
	}
	return s.commit(w)
}

// write is an object validated and encoded for the store, waiting to be committed.
type write struct {
	t   target
	obj api.Object
	op  store.Op
}

// prepareReplace is replace up to the write. A Service's write must hold s.lockServices(t)
// until it is committed, since it may allocate addresses.
func (s *Server) prepareReplace(t target, old, next api.Object, expect int64) (write, error) {
	api.SetDefaults(next)
	m := next.GetObjectMeta()
	if specChanged(t, old, next) {
		m.Generation = old.GetObjectMeta().Generation + 1
	}
	if errs := api.ValidateUpdate(next, old); len(errs) > 0 {
		return write{}, api.NewInvalid(t.kind, m.Name, errs)
	}
	if svc, ok := next.(*api.Service); ok && t.sub == "" {
		if err := s.allocateServiceAddresses(t.kind, svc); err != nil {
			return write{}, err
		}
	}
	val, err := toValue(next)
	if err != nil {
		return write{}, err
	}
	op := store.Op{Type: store.OpUpdate, Key: t.kind.StoreKey(m.Namespace, m.Name), Value: val, ExpectRev: expect}
	return write{t: t, obj: next, op: op}, nil
}

// commit stores one prepared write.
func (s *Server) commit(w write) (api.Object, error) {
	objs, errs := s.commitAll([]write{w}, false)
	return objs[0], errs[0]
}

// commitAll stores prepared writes together, in as few durable commits as the store makes. Each
// succeeds or fails on its own, and sees the writes before it. With shared, the objects answered
// share their parts with what the watchers get, instead of the watchers getting a copy.
func (s *Server) commitAll(ws []write, shared bool) ([]api.Object, []error) {
	ops := make([]store.Op, len(ws))
	answers := make([]api.Object, len(ws))
	expected := make([]*expectedWrite, len(ws))
	for i, w := range ws {
		ops[i], answers[i] = w.op, w.obj
		if shared {
			answers[i] = shallowCopy(w.obj) // before the watchers can see w.obj
			expected[i] = s.events.expectShared(w.t.kind, w.op.Key, w.op.Value, w.obj)
		} else {
			expected[i] = s.events.expect(w.t.kind, w.op.Key, w.op.Value, w.obj)
		}
	}
	objs, errs := make([]api.Object, len(ws)), make([]error, len(ws))
	for i, r := range s.store.Apply(ops) {
		s.events.committed(ops[i].Key, expected[i], r.KV.Rev)
		if r.Err != nil {
			errs[i] = storeError(r.Err, ws[i].t, ws[i].obj.GetObjectMeta().Name)
			continue
		}
		objs[i] = stored(answers[i], r.KV)
	}
	return objs, errs
}

// shallowCopy is a new object with obj's fields.
func shallowCopy(obj api.Object) api.Object {
	v := reflect.New(reflect.TypeOf(obj).Elem())
	v.Elem().Set(reflect.ValueOf(obj).Elem())
	return v.Interface().(api.Object)
}

// specChanged reports whether next declares something else than old: never through the status
// subresource, always through a binding (it sets spec.nodeName, which was empty).
func specChanged(t target, old, next api.Object) bool {
	switch t.sub {
	case "status":
		return false
	case "binding":
		return true
	}
	return specOf(next) != specOf(old)
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

// withStatus is old with obj's status: a shallow copy, since old is the server's own, decoded for
// this request, and may share its parts with next.
func withStatus(old, obj api.Object) api.Object {
	next := shallowCopy(old)
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

// specOf is the JSON of everything an object declares: all but its type, metadata and status.
// Two objects of one kind declare the same when their specOf are equal.
func specOf(obj api.Object) string {
	v := reflect.New(reflect.TypeOf(obj).Elem()).Elem()
	v.Set(reflect.ValueOf(obj).Elem())
	for _, name := range []string{"TypeMeta", "ObjectMeta", "Status"} {
		if f := v.FieldByName(name); f.IsValid() {
			f.SetZero()
		}
	}
	b, _ := json.Marshal(v.Addr().Interface())
	return string(b)
}

func cloneObject(obj api.Object) api.Object {
	k := api.KindOf(obj)
	c := k.New()
	b, _ := json.Marshal(obj)
	json.Unmarshal(b, c)
	return c
}
