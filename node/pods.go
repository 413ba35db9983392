package node

import (
	"context"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// syncPods watches the pods bound to this node and keeps a worker running for each, level-triggered:
// every change re-runs diffPods over the whole desired set.
func (a *Agent) syncPods(ctx context.Context) {
	desired := map[string]*api.Pod{}
	workers := map[string]*podWorker{}
	defer func() {
		for _, w := range workers {
			w.stop()
		}
	}()
	opts := client.ListOptions{FieldSelector: "spec.nodeName=" + a.cfg.Name}
	for ctx.Err() == nil {
		pods, rv, err := a.client.List(ctx, a.kinds.pods, "", opts)
		if err != nil {
			a.log.Warn("list pods", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		clear(desired)
		for _, o := range pods {
			desired[o.GetObjectMeta().UID] = o.(*api.Pod)
		}
		a.reconcile(ctx, desired, workers)
		a.watchPods(ctx, opts, rv, desired, workers)
	}
}

// watchPods follows changes from rv until the stream ends; the caller lists again.
func (a *Agent) watchPods(ctx context.Context, opts client.ListOptions, rv string, desired map[string]*api.Pod, workers map[string]*podWorker) {
	for ctx.Err() == nil {
		opts.ResourceVersion = rv
		events, err := a.client.Watch(ctx, a.kinds.pods, "", opts)
		if err != nil {
			if !api.IsGone(err) {
				a.log.Warn("watch pods", "err", err)
				sleepCtx(ctx, time.Second)
			}
			return
		}
		for ev := range events {
			rv = ev.Object.GetObjectMeta().ResourceVersion
			p := ev.Object.(*api.Pod)
			switch ev.Type {
			case api.Added, api.Modified:
				desired[p.UID] = p
			case api.Deleted:
				delete(desired, p.UID)
			default:
				continue
			}
			a.reconcile(ctx, desired, workers)
		}
	}
}

func (a *Agent) reconcile(ctx context.Context, desired map[string]*api.Pod, workers map[string]*podWorker) {
	running := make(map[string]bool, len(workers))
	for uid := range workers {
		running[uid] = true
	}
	start, stop := diffPods(desired, running)
	for _, uid := range stop {
		w := workers[uid]
		delete(workers, uid)
		a.event(w.pod, api.EventNormal, "Killing", "Stopping pod "+w.pod.Name)
		go w.stop()
	}
	for _, p := range start {
		w := newPodWorker(a, p)
		workers[p.UID] = w
		w.start(ctx)
	}
}
