package apiserver

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

func (s *Server) create(w http.ResponseWriter, r *http.Request, t target) error {
	obj, err := readObject(r, t.kind, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	created, err := s.createObject(t, obj)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

// createObject fills the server-owned metadata, defaults, validates and stores a new object.
func (s *Server) createObject(t target, obj api.Object) (api.Object, error) {
	m := obj.GetObjectMeta()
	if err := s.placeNamespace(t, m); err != nil {
		return nil, err
	}
	if m.Name == "" && m.GenerateName != "" {
		m.Name = m.GenerateName + randomSuffix()
	}
	m.UID = newUID()
	m.ResourceVersion = ""
	m.CreationTimestamp = api.Now()
	m.DeletionTimestamp = nil
	m.Generation = 1
	api.SetDefaults(obj)
	if errs := api.Validate(obj); len(errs) > 0 {
		return nil, api.NewInvalid(t.kind, m.Name, errs)
	}
	if t.kind.Namespaced {
		if _, err := s.store.Get(namespaceKind().StoreKey("", m.Namespace)); err != nil {
			return nil, storeError(err, target{kind: namespaceKind()}, m.Namespace)
		}
	}
	if n, ok := obj.(*api.Node); ok {
		s.nodeMu.Lock()
		defer s.nodeMu.Unlock()
		if err := s.assignPodCIDR(n); err != nil {
			return nil, err
		}
	}
	if svc, ok := obj.(*api.Service); ok {
		defer s.lockServices(t)()
		if err := s.allocateServiceAddresses(t.kind, svc); err != nil {
			return nil, err
		}
	}
	val, err := toValue(obj)
	if err != nil {
		return nil, err
	}
	op := store.Op{Type: store.OpCreate, Key: t.kind.StoreKey(m.Namespace, m.Name), Value: val}
	return s.commit(write{t: t, obj: obj, op: op})
}

// placeNamespace checks the object's namespace against the path's, filling it in when empty.
func (s *Server) placeNamespace(t target, m *api.ObjectMeta) error {
	if !t.kind.Namespaced {
		m.Namespace = ""
		return nil
	}
	switch {
	case m.Namespace == "" && t.namespace == "":
		m.Namespace = "default"
	case m.Namespace == "":
		m.Namespace = t.namespace
	case t.namespace != "" && m.Namespace != t.namespace:
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"the namespace of the provided object (%s) does not match the namespace sent on the request (%s)", m.Namespace, t.namespace)
	}
	return nil
}

func namespaceKind() *api.Kind {
	k, _ := api.ResourceFor("namespaces")
	return k
}

func newUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}

// randomSuffix is the 5-character suffix of generateName, from Kubernetes' alphabet.
func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	var b [5]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
