package hollow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

var podKind = func() *api.Kind {
	k, err := api.ResourceFor("pods")
	if err != nil {
		panic(err)
	}
	return k
}()

// watchPods follows every pod and queues a report for each one bound to a hollow node that is not
// Running and Ready yet. It resumes from the last revision it saw and lists again on 410.
func (f *Farm) watchPods(ctx context.Context) {
	reported := map[string]bool{} // UIDs reported, or queued to be
	rv := ""
	for ctx.Err() == nil {
		ch, err := f.c.Watch(ctx, podKind, "", client.ListOptions{ResourceVersion: rv})
		if err != nil {
			if api.IsGone(err) {
				rv = ""
				continue
			}
			if ctx.Err() == nil {
				f.log.Warn("watch pods failed", "err", err)
			}
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		for ev := range ch {
			if ev.Object == nil {
				continue
			}
			if r := ev.Object.GetObjectMeta().ResourceVersion; r != "" {
				rv = r
			}
			p, ok := ev.Object.(*api.Pod)
			if !ok {
				continue
			}
			switch {
			case ev.Type == api.Deleted:
				delete(reported, p.UID)
			case ev.Type == api.Bookmark, reported[p.UID], !f.wants(p):
			default:
				reported[p.UID] = true
				f.queue.push(p)
			}
		}
	}
}

// wants reports whether p is bound to a hollow node and waits to be reported running.
func (f *Farm) wants(p *api.Pod) bool {
	if _, ok := f.index[p.Spec.NodeName]; !ok || p.DeletionTimestamp != nil {
		return false
	}
	return p.Status.Phase != api.PodRunning || !isReady(p)
}

func isReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// statusBatcher is a Client that writes many statuses in one call, committed together: the API
// server's in-process client.
type statusBatcher interface {
	UpdateStatusAll(ctx context.Context, objs []api.Object) ([]api.Object, []error)
}

// report writes the status of queued pods, as a node agent does once a pod's modules started: the
// whole status, without a resourceVersion. It takes what is queued, up to Batch pods, and writes
// them in one call when the client can.
func (f *Farm) report(ctx context.Context) {
	bs, batched := f.c.(statusBatcher)
	for {
		pods, ok := f.queue.pop(f.cfg.Batch)
		if !ok {
			return
		}
		objs := make([]api.Object, len(pods))
		for i, p := range pods {
			objs[i] = &api.Pod{ObjectMeta: api.ObjectMeta{Name: p.Name, Namespace: p.Namespace}, Status: f.runningStatus(p)}
		}
		var errs []error
		if batched {
			_, errs = bs.UpdateStatusAll(ctx, objs)
		} else {
			errs = make([]error, len(objs))
			for i, o := range objs {
				_, errs[i] = f.c.UpdateStatus(ctx, o)
			}
		}
		for i, err := range errs {
			switch {
			case err == nil:
				f.running.Add(1)
			case api.IsNotFound(err), ctx.Err() != nil:
			default:
				f.log.Warn("pod status not reported", "pod", pods[i].Namespace+"/"+pods[i].Name, "err", err)
			}
		}
	}
}

// runningStatus is p's status once its containers all run and are ready.
func (f *Farm) runningStatus(p *api.Pod) api.PodStatus {
	now := api.Now()
	i := f.index[p.Spec.NodeName]
	st := api.PodStatus{Phase: api.PodRunning, HostIP: nodeIP(i), PodIP: podIP(i, p.UID), StartTime: &now}
	for _, t := range []string{api.PodInitialized, api.PodReady, api.ContainersReady, api.PodScheduled} {
		st.Conditions = append(st.Conditions, api.PodCondition{Type: t, Status: api.ConditionTrue, LastTransitionTime: now})
	}
	started := true
	for _, c := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, api.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: &started,
			State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: now}},
		})
	}
	return st
}

// podIP is a fake address in node i's pod CIDR, picked by the pod's UID.
func podIP(i int, uid string) string {
	var h uint32
	for j := 0; j < len(uid); j++ {
		h = h*31 + uint32(uid[j])
	}
	return fmt.Sprintf("100.%d.%d.%d", 64+i/256, i%256, 2+h%250)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// reportQueue is an unbounded FIFO of pods to report, so that the pod watch never waits for the
// reporters (a watcher that falls behind is dropped by the store).
type reportQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []*api.Pod
	closed bool
}

func (q *reportQueue) init() { q.cond = sync.NewCond(&q.mu) }

func (q *reportQueue) push(p *api.Pod) {
	q.mu.Lock()
	q.items = append(q.items, p)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop takes up to max pods, waiting for one.
func (q *reportQueue) pop(max int) ([]*api.Pod, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, false
	}
	n := min(max, len(q.items))
	pods := append([]*api.Pod(nil), q.items[:n]...)
	clear(q.items[:n])
	q.items = q.items[n:]
	return pods, true
}

func (q *reportQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
