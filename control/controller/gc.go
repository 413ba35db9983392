package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// indexOwners files an object under the UID of every owner, controller or not.
const indexOwners = "owners"

func ownersIndex(obj api.Object) []string {
	refs := obj.GetObjectMeta().OwnerReferences
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.UID
	}
	return out
}

// garbageCollector deletes objects whose owners are all gone, and drops the references to owners
// that are gone from objects that still have another. An owner deleted with propagationPolicy
// Orphan leaves its dependents without the reference (the API server removes it), so they stay.
type garbageCollector struct {
	*loop
	c          Client
	dependents map[string]*Informer // by kind: the kinds that have owners
	owners     map[string]*Informer // by kind: the owner kinds that are cached
}

func newGarbageCollector(m *Manager) *garbageCollector {
	gc := &garbageCollector{
		c:          m.c,
		dependents: map[string]*Informer{"Pod": m.pods, "ReplicaSet": m.rss},
		owners:     map[string]*Informer{"ReplicaSet": m.rss, "Deployment": m.deploys, "DaemonSet": m.dss},
	}
	gc.loop = newLoop("garbagecollector", m.log, gc.sync)
	for kind, inf := range gc.dependents {
		inf.AddHandler(func(old, cur api.Object) {
			if cur != nil && len(cur.GetObjectMeta().OwnerReferences) > 0 {
				gc.queue.Add(kind + "/" + keyOf(cur))
			}
		})
	}
	for _, inf := range gc.owners {
		inf.AddHandler(func(old, cur api.Object) {
			if cur == nil {
				gc.ownerDeleted(old)
			}
		})
	}
	return gc
}

// ownerDeleted queues the dependents of a deleted owner.
func (gc *garbageCollector) ownerDeleted(owner api.Object) {
	uid := owner.GetObjectMeta().UID
	for kind, inf := range gc.dependents {
		for _, dep := range inf.ByIndex(indexOwners, uid) {
			gc.queue.Add(kind + "/" + keyOf(dep))
		}
	}
}

func (gc *garbageCollector) sync(ctx context.Context, key string) error {
	kind, objKey, _ := strings.Cut(key, "/")
	inf := gc.dependents[kind]
	if inf == nil {
		return nil
	}
	obj := inf.GetKey(objKey)
	if obj == nil {
		return nil
	}
	m := obj.GetObjectMeta()
	var live []api.OwnerReference
	for _, ref := range m.OwnerReferences {
		ok, err := gc.ownerExists(ctx, m.Namespace, ref)
		if err != nil {
			return err
		}
		if ok {
			live = append(live, ref)
		}
	}
	switch {
	case len(live) == len(m.OwnerReferences):
		return nil
	case len(live) == 0:
		return gc.delete(ctx, inf, obj)
	}
	cp := deepCopy(obj)
	cp.GetObjectMeta().OwnerReferences = live
	out, err := gc.c.Update(ctx, cp)
	if err != nil {
		return fmt.Errorf("drop owner references of %s %s: %w", kind, objKey, err)
	}
	inf.Observe(out)
	return nil
}

// ownerExists reports whether the object ref points to exists with that UID. The cache answers
// yes; a no is confirmed with the API server, since the cache may not have seen a new owner yet.
// An owner of a kind wk does not know is taken to exist.
func (gc *garbageCollector) ownerExists(ctx context.Context, ns string, ref api.OwnerReference) (bool, error) {
	k, err := api.KindFor(ref.APIVersion, ref.Kind)
	if err != nil {
		return true, nil
	}
	if inf := gc.owners[k.Kind]; inf != nil && byUID(inf, ref.UID) != nil {
		return true, nil
	}
	if !k.Namespaced {
		ns = ""
	}
	obj, err := gc.c.Get(ctx, k, ns, ref.Name)
	switch {
	case api.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("get owner %s %s: %w", ref.Kind, ref.Name, err)
	}
	return obj.GetObjectMeta().UID == ref.UID, nil
}

func (gc *garbageCollector) delete(ctx context.Context, inf *Informer, obj api.Object) error {
	m := obj.GetObjectMeta()
	uid := m.UID
	k := api.KindOf(obj)
	out, err := gc.c.Delete(ctx, k, m.Namespace, m.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
	switch {
	case api.IsNotFound(err):
		inf.ObserveDelete(obj)
		return nil
	case err != nil:
		return fmt.Errorf("delete %s %s whose owners are gone: %w", k.Kind, m.Name, err)
	}
	inf.ObserveDelete(out)
	return nil
}
