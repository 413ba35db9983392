package controller

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// IndexFunc files an object under zero or more values of an index.
type IndexFunc func(obj api.Object) []string

// Handler is told of a change to an informer's cache: old is nil for an add and cur is nil for a
// delete. It runs on the informer's goroutine or a writer's, so it must not block; handlers only
// put keys on queues.
type Handler func(old, cur api.Object)

// Informer keeps a cache of every object of one kind: it lists them once, then follows a watch,
// resuming from the last resourceVersion it saw when the stream ends and listing again when the
// server answers that this revision is gone (410). Objects in the cache are shared: never modify
// one, copy it first.
type Informer struct {
	kind     *api.Kind
	c        Client
	log      *slog.Logger
	indexers map[string]IndexFunc

	mu       sync.RWMutex
	items    map[string]api.Object
	tombs    map[string]tomb // deleted keys: an older version must not come back
	pruned   time.Time
	indices  map[string]map[string]map[string]struct{}
	handlers []Handler

	synced     chan struct{}
	syncedOnce sync.Once
}

// NewInformer returns an informer for kind k with the given indexes; namespaced kinds also get the
// "namespace" index.
func NewInformer(k *api.Kind, c Client, log *slog.Logger, indexers map[string]IndexFunc) *Informer {
	inf := &Informer{
		kind:     k,
		c:        c,
		log:      log.With("informer", k.Resource),
		indexers: map[string]IndexFunc{},
		items:    map[string]api.Object{},
		tombs:    map[string]tomb{},
		indices:  map[string]map[string]map[string]struct{}{},
		synced:   make(chan struct{}),
	}
	for name, f := range indexers {
		inf.indexers[name] = f
	}
	if k.Namespaced {
		inf.indexers[indexNamespace] = func(obj api.Object) []string { return []string{obj.GetObjectMeta().Namespace} }
	}
	for name := range inf.indexers {
		inf.indices[name] = map[string]map[string]struct{}{}
	}
	return inf
}

// AddHandler registers h; call it before Run.
func (inf *Informer) AddHandler(h Handler) {
	inf.mu.Lock()
	inf.handlers = append(inf.handlers, h)
	inf.mu.Unlock()
}

// Synced is closed once the first list is in the cache.
func (inf *Informer) Synced() <-chan struct{} { return inf.synced }

// Run lists and watches until ctx ends.
func (inf *Informer) Run(ctx context.Context) {
	rv := ""
	bo := backoff{base: 100 * time.Millisecond, max: 5 * time.Second}
	listed := false // rv comes from a list just made: a 410 now calls for a pause
	for ctx.Err() == nil {
		if rv == "" {
			items, listRV, err := inf.c.List(ctx, inf.kind, "", client.ListOptions{})
			if err != nil {
				inf.logError("list", err, ctx)
				bo.wait(ctx)
				continue
			}
			inf.replace(items, listRV)
			inf.syncedOnce.Do(func() { close(inf.synced) })
			rv, listed = listRV, true
		}
		ch, err := inf.c.Watch(ctx, inf.kind, "", client.ListOptions{ResourceVersion: rv})
		if api.IsGone(err) {
			inf.log.Debug("watch revision compacted, listing again", "resourceVersion", rv)
			if listed {
				bo.wait(ctx)
			}
			rv = ""
			continue
		}
		listed = false
		if err != nil {
			inf.logError("watch", err, ctx)
			bo.wait(ctx)
			continue
		}
		n := 0
		for ev := range ch {
			n++
			rv = inf.handle(ev, rv)
		}
		if n == 0 {
			bo.wait(ctx)
		} else {
			bo.reset()
		}
	}
}

func (inf *Informer) logError(what string, err error, ctx context.Context) {
	if ctx.Err() == nil {
		inf.log.Warn(what+" failed", "err", err)
	}
}

// handle applies one watch event and returns the revision to resume from.
func (inf *Informer) handle(ev client.Event, rv string) string {
	if ev.Object == nil {
		return rv
	}
	if r := ev.Object.GetObjectMeta().ResourceVersion; r != "" {
		rv = r
	}
	switch ev.Type {
	case api.Added, api.Modified:
		inf.Observe(ev.Object)
	case api.Deleted:
		inf.apply(ev.Object, true, false)
	}
	return rv
}

// Observe puts obj in the cache unless the cache has it at the same or a newer revision. The
// controllers call it with what the API server answered to their writes.
func (inf *Informer) Observe(obj api.Object) { inf.apply(obj, false, false) }

// ObserveDelete takes obj out of the cache: the caller deleted it.
func (inf *Informer) ObserveDelete(obj api.Object) { inf.apply(obj, true, true) }

func (inf *Informer) apply(obj api.Object, deleted, ours bool) {
	key := keyOf(obj)
	rv := rvOf(obj)
	inf.mu.Lock()
	old := inf.items[key]
	var fire bool
	switch {
	case deleted:
		inf.bury(key, max(rv, rvOf(old)))
		if old != nil && (ours || rvOf(old) < rv) {
			inf.remove(key)
			fire = true
		}
	case inf.buried(key, rv):
		// An answer to a write that the watch has already seen deleted.
	case old != nil && rvOf(old) >= rv:
	default:
		delete(inf.tombs, key)
		inf.set(key, obj)
		fire = true
	}
	handlers := inf.handlers
	inf.mu.Unlock()
	if !fire {
		return
	}
	cur := obj
	if deleted {
		cur = nil
	}
	for _, h := range handlers {
		h(old, cur)
	}
}

// tomb remembers a deleted key, so that a write answered before the delete but observed after it
// does not bring the object back into the cache.
type tomb struct {
	rv int64
	at time.Time
}

// tombLife is how long a tomb is kept: longer than any write can take.
const tombLife = 2 * time.Minute

func (inf *Informer) bury(key string, rv int64) {
	now := time.Now()
	if t, ok := inf.tombs[key]; !ok || t.rv < rv {
		inf.tombs[key] = tomb{rv: rv, at: now}
	}
	if now.Sub(inf.pruned) > tombLife/2 {
		inf.pruned = now
		for k, t := range inf.tombs {
			if now.Sub(t.at) > tombLife {
				delete(inf.tombs, k)
			}
		}
	}
}

func (inf *Informer) buried(key string, rv int64) bool {
	t, ok := inf.tombs[key]
	return ok && rv <= t.rv
}

// replace makes the cache hold a fresh list, keeping what the controllers wrote after it.
func (inf *Informer) replace(items []api.Object, listRV string) {
	lrv, _ := strconv.ParseInt(listRV, 10, 64)
	type change struct{ old, cur api.Object }
	var changes []change
	inf.mu.Lock()
	fresh := make(map[string]api.Object, len(items))
	for _, obj := range items {
		fresh[keyOf(obj)] = obj
	}
	for key, old := range inf.items {
		if _, ok := fresh[key]; !ok && rvOf(old) <= lrv {
			inf.remove(key)
			changes = append(changes, change{old, nil})
		}
	}
	for key, obj := range fresh {
		old := inf.items[key]
		if inf.buried(key, rvOf(obj)) || old != nil && rvOf(old) >= rvOf(obj) {
			continue
		}
		delete(inf.tombs, key)
		inf.set(key, obj)
		changes = append(changes, change{old, obj})
	}
	handlers := inf.handlers
	inf.mu.Unlock()
	for _, c := range changes {
		for _, h := range handlers {
			h(c.old, c.cur)
		}
	}
}

func (inf *Informer) set(key string, obj api.Object) {
	if old, ok := inf.items[key]; ok {
		inf.unindex(key, old)
	}
	inf.items[key] = obj
	for name, f := range inf.indexers {
		idx := inf.indices[name]
		for _, v := range f(obj) {
			keys := idx[v]
			if keys == nil {
				keys = map[string]struct{}{}
				idx[v] = keys
			}
			keys[key] = struct{}{}
		}
	}
}

func (inf *Informer) remove(key string) {
	if old, ok := inf.items[key]; ok {
		inf.unindex(key, old)
		delete(inf.items, key)
	}
}

func (inf *Informer) unindex(key string, obj api.Object) {
	for name, f := range inf.indexers {
		idx := inf.indices[name]
		for _, v := range f(obj) {
			delete(idx[v], key)
			if len(idx[v]) == 0 {
				delete(idx, v)
			}
		}
	}
}

// Get returns the cached object, or nil.
func (inf *Informer) Get(ns, name string) api.Object {
	return inf.GetKey(makeKey(ns, name))
}

// GetKey returns the cached object with key "ns/name" (or "name"), or nil.
func (inf *Informer) GetKey(key string) api.Object {
	inf.mu.RLock()
	defer inf.mu.RUnlock()
	return inf.items[key]
}

// List returns the cached objects in ns, or every one when ns is "".
func (inf *Informer) List(ns string) []api.Object {
	if ns != "" && inf.kind.Namespaced {
		return inf.ByIndex(indexNamespace, ns)
	}
	inf.mu.RLock()
	defer inf.mu.RUnlock()
	out := make([]api.Object, 0, len(inf.items))
	for _, obj := range inf.items {
		out = append(out, obj)
	}
	return out
}

// ByIndex returns the cached objects filed under value in the named index.
func (inf *Informer) ByIndex(index, value string) []api.Object {
	inf.mu.RLock()
	defer inf.mu.RUnlock()
	keys := inf.indices[index][value]
	out := make([]api.Object, 0, len(keys))
	for key := range keys {
		out = append(out, inf.items[key])
	}
	return out
}

// backoff is a doubling sleep for retrying list and watch.
type backoff struct {
	base, max, cur time.Duration
}

func (b *backoff) wait(ctx context.Context) {
	b.cur = min(max(b.cur*2, b.base), b.max)
	t := time.NewTimer(b.cur)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (b *backoff) reset() { b.cur = 0 }
