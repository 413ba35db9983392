package netproxy

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// watcher keeps the set of objects of one kind (type T, every namespace) current: a list, then a
// watch from the list's revision, and a new list when the watch answers 410 Gone. Each change
// hands the whole set to apply, in a slice of its own.
type watcher[T api.Object] struct {
	c     *client.Client
	kind  *api.Kind
	log   *slog.Logger
	apply func([]T)
}

// watch keeps apply current with every object of resource until ctx ends.
func watch[T api.Object](ctx context.Context, p *Proxy, resource string, apply func([]T)) error {
	k, _ := api.ResourceFor(resource)
	(&watcher[T]{c: p.cfg.Client, kind: k, log: p.log, apply: apply}).run(ctx)
	return nil
}

func (w *watcher[T]) run(ctx context.Context) {
	for ctx.Err() == nil {
		objs, rv, err := w.c.List(ctx, w.kind, "", client.ListOptions{})
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("list for the node proxy", "kind", w.kind.Kind, "err", err)
			}
			sleepCtx(ctx, time.Second)
			continue
		}
		set := make(map[string]T, len(objs))
		for _, o := range objs {
			set[objectKey(o)] = o.(T)
		}
		w.apply(slices.Collect(maps.Values(set)))
		w.watch(ctx, set, rv)
	}
}

// watch follows changes from rv until the stream ends or answers 410; the caller lists again.
func (w *watcher[T]) watch(ctx context.Context, set map[string]T, rv string) {
	for ctx.Err() == nil {
		events, err := w.c.Watch(ctx, w.kind, "", client.ListOptions{ResourceVersion: rv})
		if err != nil {
			if !api.IsGone(err) && ctx.Err() == nil {
				w.log.Warn("watch for the node proxy", "kind", w.kind.Kind, "err", err)
				sleepCtx(ctx, time.Second)
			}
			return
		}
		dirty := false
		for ev := range events {
			rv = ev.Object.GetObjectMeta().ResourceVersion
			switch ev.Type {
			case api.Added, api.Modified:
				set[objectKey(ev.Object)], dirty = ev.Object.(T), true
			case api.Deleted:
				delete(set, objectKey(ev.Object))
				dirty = true
			}
			if dirty && len(events) == 0 { // a burst of events makes one table, from its last
				w.apply(slices.Collect(maps.Values(set)))
				dirty = false
			}
		}
	}
}

func objectKey(o api.Object) string {
	m := o.GetObjectMeta()
	return m.Namespace + "/" + m.Name
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
