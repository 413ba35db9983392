package node

import (
	"context"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// firstListTimeout bounds the first list of the node's pods: past it the agent runs the pods it
// recorded, and keeps trying.
const firstListTimeout = 5 * time.Second

// podSync is the state of syncPods: the pods bound to the node and the workers running them, by
// UID. Only syncPods's goroutine touches it.
type podSync struct {
	a       *Agent
	desired map[string]*api.Pod
	workers map[string]*podWorker
	record  *podRecorder
}

// syncPods watches the pods bound to this node and keeps a worker running for each, level-triggered:
// every change re-runs diffPods over the whole desired set, and records the set on disk. When the
// first list fails (the control plane is away), the recorded pods run until a list answers; that
// list then decides, as any other: pods still bound keep their workers, the others stop.
func (a *Agent) syncPods(ctx context.Context) {
	s := &podSync{a: a, desired: map[string]*api.Pod{}, workers: map[string]*podWorker{}, record: a.newPodRecorder()}
	defer func() {
		for _, w := range s.workers {
			w.halt()
		}
	}()
	opts := client.ListOptions{FieldSelector: "spec.nodeName=" + a.cfg.Name}
	listed := false
	for first := true; ctx.Err() == nil; first = false {
		pods, rv, err := s.list(ctx, opts, first)
		if err != nil {
			a.log.Warn("list pods", "err", err)
			if first {
				s.runRecorded(ctx)
			}
			sleepCtx(ctx, time.Second)
			continue
		}
		clear(s.desired)
		for _, o := range pods {
			p := o.(*api.Pod)
			s.desired[p.UID] = p
		}
		s.reconcile(ctx)
		for uid, w := range s.workers {
			w.observe(s.desired[uid]) // report each pod's status as it is now
		}
		if !listed {
			listed = true
			a.sweepRunc(ctx, s.workers)
			a.removeOrphanPodDirs(s.workers)
		}
		s.watch(ctx, opts, rv)
	}
}

func (s *podSync) list(ctx context.Context, opts client.ListOptions, first bool) ([]api.Object, string, error) {
	if first {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, firstListTimeout)
		defer cancel()
	}
	return s.a.client.List(ctx, s.a.kinds.pods, "", opts)
}

// runRecorded runs the pods recorded on disk, as the desired set.
func (s *podSync) runRecorded(ctx context.Context) {
	pods, err := s.record.load()
	if err != nil {
		s.a.log.Warn("recorded pods not run", "err", err)
		return
	}
	if len(pods) == 0 {
		return
	}
	s.a.log.Info("control plane unreachable; running the recorded pods until it answers", "pods", len(pods))
	s.desired = pods
	s.reconcile(ctx)
}

// watch follows changes from rv until the stream ends; the caller lists again.
func (s *podSync) watch(ctx context.Context, opts client.ListOptions, rv string) {
	for ctx.Err() == nil {
		opts.ResourceVersion = rv
		events, err := s.a.client.Watch(ctx, s.a.kinds.pods, "", opts)
		if err != nil {
			if !api.IsGone(err) {
				s.a.log.Warn("watch pods", "err", err)
				sleepCtx(ctx, time.Second)
			}
			return
		}
		for ev := range events {
			rv = ev.Object.GetObjectMeta().ResourceVersion
			p := ev.Object.(*api.Pod)
			switch ev.Type {
			case api.Added, api.Modified:
				s.desired[p.UID] = p
			case api.Deleted:
				delete(s.desired, p.UID)
			default:
				continue
			}
			s.reconcile(ctx)
			if w, ok := s.workers[p.UID]; ok && ev.Type == api.Modified {
				w.observe(p)
			}
		}
	}
}

// reconcile starts and stops workers so that one runs for each pod to run, and records the set.
func (s *podSync) reconcile(ctx context.Context) {
	running := make(map[string]bool, len(s.workers))
	for uid := range s.workers {
		running[uid] = true
	}
	start, stop := diffPods(s.desired, running)
	for _, uid := range stop {
		w := s.workers[uid]
		delete(s.workers, uid)
		s.a.event(w.pod, api.EventNormal, "Killing", "Stopping pod "+w.pod.Name)
		go w.retire()
	}
	for _, p := range start {
		w := newPodWorker(s.a, p)
		s.workers[p.UID] = w
		w.start(ctx)
	}
	if err := s.record.save(s.desired); err != nil {
		s.a.log.Warn("pods not recorded", "err", err)
	}
}
