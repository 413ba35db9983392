package netproxy

import (
	"context"
	"log/slog"
	"maps"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// watcher keeps the set of objects of one kind (every namespace) current: a list, then a watch
// from the list's revision, and a new list when the watch answers 410 Gone. Each change hands a
// copy of the whole set, by "namespace/name", to apply.
type watcher struct {
	c     *client.Client
	kind  *api.Kind
	log   *slog.Logger
	apply func(map[string]api.Object)
}

func (w *watcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		objs, rv, err := w.c.List(ctx, w.kind, "", client.ListOptions{})
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("list for the node proxy", "kind", w.kind.Kind, "err", err)
			}
			sleepCtx(ctx, time.Second)
			continue
		}
		set := make(map[string]api.Object, len(objs))
		for _, o := range objs {
			set[objectKey(o)] = o
		}
		w.apply(maps.Clone(set))
		w.watch(ctx, set, rv)
	}
}

// watch follows changes from rv until the stream ends or answers 410; the caller lists again.
func (w *watcher) watch(ctx context.Context, set map[string]api.Object, rv string) {
	for ctx.Err() == nil {
		events, err := w.c.Watch(ctx, w.kind, "", client.ListOptions{ResourceVersion: rv})
		if err != nil {
			if !api.IsGone(err) && ctx.Err() == nil {
				w.log.Warn("watch for the node proxy", "kind", w.kind.Kind, "err", err)
				sleepCtx(ctx, time.Second)
			}
			return
		}
		for ev := range events {
			rv = ev.Object.GetObjectMeta().ResourceVersion
			switch ev.Type {
			case api.Added, api.Modified:
				set[objectKey(ev.Object)] = ev.Object
			case api.Deleted:
				delete(set, objectKey(ev.Object))
			default:
				continue
			}
			w.apply(maps.Clone(set))
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
