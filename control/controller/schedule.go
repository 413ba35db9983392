package controller

import (
	"context"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/scheduler"
)

// schedulerLoop binds pending pods to nodes. It takes the queued pods in batches, decides for a
// whole batch on a snapshot of the cache (nodes and bound pods) with the pure scheduler, and hands
// the decisions to binders that commit them concurrently while the next batch is decided. The
// snapshot is kept from batch to batch with the placements recorded in it, and rebuilt, once the
// commits in flight have landed in the cache, when anything else changed (see snapshotCache). A
// pod that fits nowhere gets PodScheduled=False with the scheduler's reason and is parked until the
// cluster changes in a way that may let it fit: a node is added or changes its labels, taints,
// readiness or capacity, or a bound pod goes away. Parked pods are also retried now and then.
type schedulerLoop struct {
	c       Client
	pods    *Informer
	nodes   *Informer
	ev      eventSink
	log     *slog.Logger
	now     func() time.Time
	queue   *Queue
	batch   int
	binders int
	retry   time.Duration

	mu     sync.Mutex
	parked map[string]struct{}
	moves  uint64 // counts flushes, to tell whether one happened during a round

	snaps    snapshotCache
	work     chan commitJob // to the binders
	inflight sync.WaitGroup // decisions handed to the binders and not committed yet
}

func newSchedulerLoop(m *Manager) *schedulerLoop {
	s := &schedulerLoop{
		c: m.c, pods: m.pods, nodes: m.nodes, ev: m.schedEvents, log: m.log.With("controller", "scheduler"),
		now: m.cfg.Now, queue: NewQueue(100*time.Millisecond, 10*time.Second),
		batch: m.cfg.SchedulerBatch, binders: m.cfg.BindWorkers, retry: m.cfg.UnschedulableRetry,
		parked: map[string]struct{}{},
	}
	m.pods.AddHandler(s.podChanged)
	m.nodes.AddHandler(s.nodeChanged)
	return s
}

func (s *schedulerLoop) podChanged(old, cur api.Object) {
	s.snaps.podChanged(old, cur)
	if p, ok := cur.(*api.Pod); ok && isPending(p) {
		key := keyOf(p)
		if o, ok := old.(*api.Pod); ok && isPending(o) && s.isParked(key) && !schedulingInputsChanged(o, p) {
			return // our own status write, or a change that cannot make it fit
		}
		s.unpark(key)
		s.queue.Add(key)
		return
	}
	if o, ok := old.(*api.Pod); ok {
		s.unpark(keyOf(o))
		if o.Spec.NodeName != "" && isPodActive(o) && (cur == nil || !isPodActive(cur.(*api.Pod))) {
			s.flush() // resources were freed
		}
	}
}

func schedulingInputsChanged(old, cur *api.Pod) bool {
	return !reflect.DeepEqual(old.Spec, cur.Spec) || !reflect.DeepEqual(old.Labels, cur.Labels)
}

func (s *schedulerLoop) nodeChanged(old, cur api.Object) {
	if s.snaps.nodeChanged(old, cur) && cur != nil {
		s.flush()
	}
}

func (s *schedulerLoop) isParked(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.parked[key]
	return ok
}

func (s *schedulerLoop) unpark(key string) {
	s.mu.Lock()
	delete(s.parked, key)
	s.mu.Unlock()
}

// park sets an unschedulable pod aside until the next flush; if one happened during the round
// that found it unschedulable, the pod is tried again instead, after a back-off.
func (s *schedulerLoop) park(key string, round uint64) {
	s.mu.Lock()
	if s.moves == round {
		s.parked[key] = struct{}{}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.queue.AddRateLimited(key)
}

// flush queues every parked pod again.
func (s *schedulerLoop) flush() {
	s.mu.Lock()
	s.moves++
	parked := s.parked
	s.parked = map[string]struct{}{}
	s.mu.Unlock()
	for key := range parked {
		s.queue.Add(key)
	}
}

func (s *schedulerLoop) round() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.moves
}

func (s *schedulerLoop) run(ctx context.Context) {
	go func() {
		t := time.NewTicker(s.retry)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				s.queue.ShutDown()
				return
			case <-t.C:
				s.snaps.invalidate()
				s.flush()
			}
		}
	}()
	bb, _ := s.c.(batchBinder)
	n := s.binders
	if bb != nil {
		n = min(n, batchBinders)
	}
	s.work = make(chan commitJob, s.batch)
	var binders sync.WaitGroup
	for range n {
		binders.Go(func() { s.commitLoop(ctx, bb) })
	}
	defer binders.Wait()
	defer close(s.work)
	for {
		keys, ok := s.queue.GetBatch(s.batch)
		if !ok {
			return
		}
		s.scheduleBatch(keys)
	}
}

// scheduleBatch decides for the pending pods among keys and hands the decisions to the binders;
// each key is Done once its decision is committed.
func (s *schedulerLoop) scheduleBatch(keys []string) {
	round := s.round()
	var pending []*api.Pod
	for _, k := range keys {
		if p, ok := s.pods.GetKey(k).(*api.Pod); ok && isPending(p) {
			pending = append(pending, p)
		} else {
			s.queue.Done(k)
		}
	}
	if len(pending) == 0 {
		return
	}
	sort.SliceStable(pending, func(i, j int) bool { return priorityOf(pending[i]) > priorityOf(pending[j]) })
	snap := s.snaps.get(func() *scheduler.Snapshot {
		s.inflight.Wait() // a fresh snapshot must see every binding made on the old one
		return scheduler.NewSnapshot(listAs[*api.Node](s.nodes), listAs[*api.Pod](s.pods))
	})
	decisions := scheduler.Schedule(snap, pending, s.now())
	s.snaps.record(decisions)
	s.inflight.Add(len(decisions))
	for _, d := range decisions {
		s.work <- commitJob{d: d, round: round}
	}
}

func priorityOf(p *api.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// listAs returns every cached object as its concrete type.
func listAs[T api.Object](inf *Informer) []T {
	objs := inf.List("")
	out := make([]T, len(objs))
	for i, o := range objs {
		out[i] = o.(T)
	}
	return out
}

// commitJob is a decision for the binders, with the round it was made in.
type commitJob struct {
	d     scheduler.Decision
	round uint64
}

// batchBinder is a binder that binds many pods in one call and commits them together: the API
// server's in-process client.
type batchBinder interface {
	BindAll(ctx context.Context, pods []*api.Pod, nodes []string) ([]api.Object, []error)
}

// With a batchBinder, a few binders commit up to bindChunk bindings per call: whatever decisions
// have queued up while they were busy, so that the batches grow with the load.
const (
	batchBinders = 4
	bindChunk    = 256
)

// commitLoop commits decisions until the work channel closes: one at a time, or with a batchBinder
// (bb not nil) all that are waiting, up to bindChunk.
func (s *schedulerLoop) commitLoop(ctx context.Context, bb batchBinder) {
	for j := range s.work {
		jobs := []commitJob{j}
	drain:
		for bb != nil && len(jobs) < bindChunk {
			select {
			case j, ok := <-s.work:
				if !ok {
					break drain
				}
				jobs = append(jobs, j)
			default:
				break drain
			}
		}
		s.commitAll(ctx, bb, jobs)
		for _, j := range jobs {
			s.queue.Done(keyOf(j.d.Pod))
			s.inflight.Done()
		}
	}
}

// commitAll commits decisions: the bindings in one call with a batchBinder (bb not nil).
func (s *schedulerLoop) commitAll(ctx context.Context, bb batchBinder, jobs []commitJob) {
	var pods []*api.Pod
	var nodes []string
	var binds []scheduler.Decision
	for _, j := range jobs {
		if bb != nil && j.d.NodeName != "" {
			pods, nodes, binds = append(pods, j.d.Pod), append(nodes, j.d.NodeName), append(binds, j.d)
			continue
		}
		s.commit(ctx, j.d, j.round)
	}
	if len(binds) == 0 {
		return
	}
	outs, errs := bb.BindAll(ctx, pods, nodes)
	for i, d := range binds {
		if errs[i] == nil {
			s.bound(d.Pod, outs[i], d.NodeName)
		}
		s.settle(ctx, d, errs[i])
	}
}

func (s *schedulerLoop) commit(ctx context.Context, d scheduler.Decision, round uint64) {
	var err error
	if d.NodeName == "" {
		err = s.unschedulable(ctx, d, round)
	} else {
		err = s.bind(ctx, d.Pod, d.NodeName)
	}
	s.settle(ctx, d, err)
}

// settle handles the outcome of committing a decision.
func (s *schedulerLoop) settle(ctx context.Context, d scheduler.Decision, err error) {
	key := keyOf(d.Pod)
	if err != nil && d.NodeName != "" {
		s.snaps.invalidate() // the snapshot counts a placement that did not happen
	}
	switch {
	case err == nil:
	case api.IsConflict(err) || api.IsNotFound(err):
		// The pod changed or went away: if it still waits, its watch event queues it again.
	case ctx.Err() == nil:
		s.log.Warn("scheduling failed, retrying", "pod", key, "err", err)
		s.queue.AddRateLimited(key)
	}
}

// binder is a Client that can bind a pod in one write: spec.nodeName and PodScheduled=True
// through the pods/NAME/binding subresource, on condition that the pod still has its UID and no
// node. *client.Client and the API server's in-process client are binders.
type binder interface {
	Bind(ctx context.Context, p *api.Pod, node string) (api.Object, error)
}

var _ binder = (*client.Client)(nil)

// bind sets the pod's node and its PodScheduled condition, and records a Scheduled event. With a
// binder it is one write; otherwise it is an update of the node (a compare-and-swap on the pod's
// resourceVersion) and, since the API server keeps the stored status on an update, a second
// write for the condition.
func (s *schedulerLoop) bind(ctx context.Context, p *api.Pod, node string) error {
	if b, ok := s.c.(binder); ok {
		out, err := b.Bind(ctx, p, node)
		if err != nil {
			return err
		}
		s.bound(p, out, node)
		return nil
	}
	cp := withPodCondition(p, api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(s.now())})
	cp.Spec.NodeName = node
	out, err := s.c.Update(ctx, cp)
	if err != nil {
		return err
	}
	s.bound(p, out, node)
	return s.markScheduled(ctx, out.(*api.Pod))
}

// bound takes in a binding the API server made: out is p bound to node.
func (s *schedulerLoop) bound(p *api.Pod, out api.Object, node string) {
	s.pods.Observe(out)
	s.queue.Forget(keyOf(p))
	s.ev.normal(out, "Scheduled", "Successfully assigned %s/%s to %s", p.Namespace, p.Name, node)
}

// markScheduled sets PodScheduled=True on a bound pod. The node agent may write the status at the
// same time: on a conflict it reads the pod again and retries.
func (s *schedulerLoop) markScheduled(ctx context.Context, p *api.Pod) error {
	cond := api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(s.now())}
	for try := 0; ; try++ {
		if c := podCondition(p, api.PodScheduled); c != nil && c.Status == api.ConditionTrue {
			return nil
		}
		out, err := s.c.UpdateStatus(ctx, withPodCondition(p, cond))
		if err == nil {
			s.pods.Observe(out)
			return nil
		}
		if !api.IsConflict(err) || try == 4 {
			return ignoreNotFound(err)
		}
		obj, err := s.c.Get(ctx, podKind, p.Namespace, p.Name)
		if err != nil {
			return ignoreNotFound(err)
		}
		fresh := obj.(*api.Pod)
		if fresh.UID != p.UID || fresh.Spec.NodeName == "" {
			return nil // not the pod we bound any more
		}
		p = fresh
	}
}

func ignoreNotFound(err error) error {
	if api.IsNotFound(err) {
		return nil
	}
	return err
}

// withPodCondition is a copy of p with condition c set; only the conditions are copied deeply.
func withPodCondition(p *api.Pod, c api.PodCondition) *api.Pod {
	cp := *p
	cp.Status.Conditions = append([]api.PodCondition(nil), p.Status.Conditions...)
	setPodCondition(&cp, c)
	return &cp
}

// unschedulable parks the pod and records why it fits nowhere, writing the condition only when it
// changed. The pod is parked first, so that the watch event of this very write leaves it parked.
func (s *schedulerLoop) unschedulable(ctx context.Context, d scheduler.Decision, round uint64) error {
	p := d.Pod
	key := keyOf(p)
	s.park(key, round)
	if c := podCondition(p, api.PodScheduled); c == nil || c.Status != api.ConditionFalse || c.Reason != "Unschedulable" || c.Message != d.Reason {
		st := withPodCondition(p, api.PodCondition{Type: api.PodScheduled, Status: api.ConditionFalse, Reason: "Unschedulable",
			Message: d.Reason, LastTransitionTime: api.NewTime(s.now())})
		out, err := s.c.UpdateStatus(ctx, st)
		if err != nil {
			s.unpark(key)
			return err
		}
		s.pods.Observe(out)
	}
	s.ev.warning(p, "FailedScheduling", "%s", d.Reason)
	return nil
}
