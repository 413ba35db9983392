package apiserver

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/wk-project/wk/control/api"
)

// protectedNamespaces cannot be deleted, as in Kubernetes.
var protectedNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, t target) error {
	opts, err := readDeleteOptions(r)
	if err != nil {
		return err
	}
	obj, err := s.deleteObject(t, opts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, obj)
	return nil
}

// deleteObject deletes the object t names and returns it as it was.
func (s *Server) deleteObject(t target, opts api.DeleteOptions) (api.Object, error) {
	if t.kind.Kind == "Namespace" && protectedNamespaces[t.name] {
		return nil, api.NewStatusError(http.StatusForbidden, api.ReasonForbidden, "namespace %q is protected and cannot be deleted", t.name)
	}
	obj, err := s.getObject(t)
	if err != nil {
		return nil, err
	}
	var expect int64 // unconditional unless the caller gave preconditions
	if p := opts.Preconditions; p != nil {
		if p.UID != nil && *p.UID != obj.GetObjectMeta().UID {
			return nil, api.NewConflict(t.kind, t.name)
		}
		if p.ResourceVersion != nil {
			if expect, err = rev(*p.ResourceVersion); err != nil {
				return nil, err
			}
		}
	}
	if t.kind.Kind == "Namespace" {
		if err := s.deleteNamespaceContents(t.name); err != nil {
			return nil, err
		}
	}
	if opts.PropagationPolicy != nil && *opts.PropagationPolicy == api.DeletePropagationOrphan {
		if err := s.orphanDependents(obj); err != nil {
			return nil, err
		}
	}
	if _, err := s.store.Delete(t.key(), expect); err != nil {
		return nil, storeError(err, t, t.name)
	}
	return obj, nil
}

func readDeleteOptions(r *http.Request) (api.DeleteOptions, error) {
	var opts api.DeleteOptions
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || len(body) == 0 {
		return opts, nil
	}
	if err := json.Unmarshal(body, &opts); err != nil {
		return opts, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "decode DeleteOptions: %v", err)
	}
	return opts, nil
}

// deleteNamespaceContents removes every namespaced object in ns.
func (s *Server) deleteNamespaceContents(ns string) error {
	for _, k := range api.Kinds() {
		if !k.Namespaced {
			continue
		}
		kvs, _, err := s.store.List(k.StoreKey(ns, ""))
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if _, err := s.store.Delete(kv.Key, 0); err != nil {
				return storeError(err, target{kind: k}, kv.Key)
			}
		}
	}
	return nil
}

// orphanDependents removes the owner's references from the objects it owns (its ReplicaSets,
// its pods), so that the garbage collector leaves them: deletion with propagationPolicy Orphan.
func (s *Server) orphanDependents(owner api.Object) error {
	uid := owner.GetObjectMeta().UID
	ns := owner.GetObjectMeta().Namespace
	for _, name := range []string{"replicasets", "pods"} {
		k, _ := api.ResourceFor(name)
		kvs, _, err := s.store.List(k.StoreKey(ns, ""))
		if err != nil {
			return storeError(err, target{kind: k}, "")
		}
		for _, kv := range kvs {
			obj, err := fromKV(k, kv)
			if err != nil {
				return err
			}
			m := obj.GetObjectMeta()
			refs := m.OwnerReferences[:0:0]
			for _, r := range m.OwnerReferences {
				if r.UID != uid {
					refs = append(refs, r)
				}
			}
			if len(refs) == len(m.OwnerReferences) {
				continue
			}
			m.OwnerReferences = refs
			val, err := toValue(obj)
			if err != nil {
				return err
			}
			if _, err := s.store.Update(kv.Key, val, kv.Rev); err != nil {
				return storeError(err, target{kind: k}, m.Name)
			}
		}
	}
	return nil
}
