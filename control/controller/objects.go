package controller

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// Index names.
const (
	indexNamespace = "namespace"
	indexOwner     = "owner" // the controller owner's UID, or orphanOf(namespace)
	indexNode      = "node"  // a pod's spec.nodeName
	indexUID       = "uid"
)

// makeKey is the cache and queue key of an object: "ns/name", or "name" when cluster-scoped.
func makeKey(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func keyOf(obj api.Object) string {
	m := obj.GetObjectMeta()
	return makeKey(m.Namespace, m.Name)
}

// splitKey undoes makeKey.
func splitKey(key string) (ns, name string) {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// rvOf is an object's resourceVersion as a number; 0 for nil or none.
func rvOf(obj api.Object) int64 {
	if obj == nil {
		return 0
	}
	n, _ := strconv.ParseInt(obj.GetObjectMeta().ResourceVersion, 10, 64)
	return n
}

// deepCopy copies an object through its JSON form, the one form every object has.
func deepCopy[T api.Object](obj T) T {
	b, err := json.Marshal(obj)
	if err != nil {
		panic("controller: copy " + keyOf(obj) + ": " + err.Error())
	}
	out := api.KindOf(obj).New().(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic("controller: copy " + keyOf(obj) + ": " + err.Error())
	}
	return out
}

// controllerOf returns the owner reference marked controller, or nil.
func controllerOf(m *api.ObjectMeta) *api.OwnerReference {
	for i := range m.OwnerReferences {
		if r := &m.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r
		}
	}
	return nil
}

// ownerRefTo makes the controller reference of a dependent of owner.
func ownerRefTo(owner api.Object) api.OwnerReference {
	k := api.KindOf(owner)
	m := owner.GetObjectMeta()
	t := true
	return api.OwnerReference{APIVersion: k.APIVersion(), Kind: k.Kind, Name: m.Name, UID: m.UID, Controller: &t, BlockOwnerDeletion: &t}
}

// orphanOf is the owner index value of objects without a controller in ns.
func orphanOf(ns string) string { return "orphan/" + ns }

func ownerIndex(obj api.Object) []string {
	m := obj.GetObjectMeta()
	if ref := controllerOf(m); ref != nil {
		return []string{ref.UID}
	}
	return []string{orphanOf(m.Namespace)}
}

func uidIndex(obj api.Object) []string { return []string{obj.GetObjectMeta().UID} }

func nodeIndex(obj api.Object) []string {
	if p := obj.(*api.Pod); p.Spec.NodeName != "" {
		return []string{p.Spec.NodeName}
	}
	return nil
}

// ownedBy returns the objects of inf whose controller is owner.
func ownedBy[T api.Object](inf *Informer, owner api.Object) []T {
	objs := inf.ByIndex(indexOwner, owner.GetObjectMeta().UID)
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(T))
	}
	return out
}

// byUID returns the object of inf with this UID, or nil.
func byUID(inf *Informer, uid string) api.Object {
	if objs := inf.ByIndex(indexUID, uid); len(objs) > 0 {
		return objs[0]
	}
	return nil
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
