package controller

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wk-project/wk/control/api"
)

// Components named in the events' source.
const (
	componentControllers = "wk-controller-manager"
	componentScheduler   = "wk-scheduler"
)

const (
	eventShards     = 8
	maxPendingEvent = 4096 // per shard; more are dropped, as Kubernetes' broadcaster drops
	maxSentEvents   = 4096 // per shard: events remembered for aggregation
)

// recorder writes Events in the background, so that recording one never waits for the API
// server. A repeat of an event (same object, type, reason and message) adds to its count and
// lastTimestamp instead of making a new object, both while it waits to be written and afterwards.
type recorder struct {
	c      Client
	log    *slog.Logger
	now    func() time.Time
	shards [eventShards]*eventShard
	seq    atomic.Uint32
}

type eventKey struct {
	component, typ, reason, message string
	ref                             api.ObjectReference
}

type pendingEvent struct {
	key         eventKey
	count       int32
	first, last time.Time
}

type sentEvent struct {
	name, rv string
	count    int32
	first    time.Time
}

type eventShard struct {
	mu      sync.Mutex
	order   []eventKey
	pending map[eventKey]*pendingEvent
	dropped int
	wake    chan struct{}
	sent    map[eventKey]*sentEvent // only the shard's sender touches it
}

func newRecorder(c Client, log *slog.Logger, now func() time.Time) *recorder {
	r := &recorder{c: c, log: log, now: now}
	for i := range r.shards {
		r.shards[i] = &eventShard{pending: map[eventKey]*pendingEvent{}, wake: make(chan struct{}, 1), sent: map[eventKey]*sentEvent{}}
	}
	return r
}

// eventSink records the events of one component.
type eventSink struct {
	r         *recorder
	component string
}

func (e eventSink) normal(obj api.Object, reason, format string, args ...any) {
	e.r.record(e.component, obj, api.EventNormal, reason, fmt.Sprintf(format, args...))
}

func (e eventSink) warning(obj api.Object, reason, format string, args ...any) {
	e.r.record(e.component, obj, api.EventWarning, reason, fmt.Sprintf(format, args...))
}

func (r *recorder) record(component string, obj api.Object, typ, reason, message string) {
	k := api.KindOf(obj)
	m := obj.GetObjectMeta()
	key := eventKey{component: component, typ: typ, reason: reason, message: message, ref: api.ObjectReference{
		Kind: k.Kind, APIVersion: k.APIVersion(), Namespace: m.Namespace, Name: m.Name, UID: m.UID}}
	h := fnv.New32a()
	fmt.Fprint(h, m.UID, reason, message)
	s := r.shards[h.Sum32()%eventShards]
	now := r.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if pe := s.pending[key]; pe != nil {
		pe.count++
		pe.last = now
		return
	}
	if len(s.pending) >= maxPendingEvent {
		s.dropped++
		return
	}
	s.pending[key] = &pendingEvent{key: key, count: 1, first: now, last: now}
	s.order = append(s.order, key)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run writes events until ctx ends, one sender per shard.
func (r *recorder) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range r.shards {
		wg.Go(func() { r.sendLoop(ctx, s) })
	}
	wg.Wait()
}

func (r *recorder) sendLoop(ctx context.Context, s *eventShard) {
	for {
		pe, dropped := s.next()
		if dropped > 0 {
			r.log.Warn("events dropped: too many waiting to be written", "count", dropped)
		}
		if pe == nil {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		r.write(ctx, s, pe)
	}
}

func (s *eventShard) next() (*pendingEvent, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dropped := s.dropped
	s.dropped = 0
	if len(s.order) == 0 {
		return nil, dropped
	}
	key := s.order[0]
	s.order = s.order[1:]
	pe := s.pending[key]
	delete(s.pending, key)
	return pe, dropped
}

// write updates the event's earlier object when there is one, and creates one otherwise.
func (r *recorder) write(ctx context.Context, s *eventShard, pe *pendingEvent) {
	if prev := s.sent[pe.key]; prev != nil {
		ev := r.build(pe, prev.name, prev.count+pe.count, prev.first)
		ev.ResourceVersion = prev.rv
		out, err := r.c.Update(ctx, ev)
		if err == nil {
			prev.rv, prev.count = out.GetObjectMeta().ResourceVersion, ev.Count
			return
		}
		if !api.IsNotFound(err) && !api.IsConflict(err) {
			r.logError(ctx, err, ev)
			return
		}
	}
	ev := r.build(pe, r.eventName(pe), pe.count, pe.first)
	out, err := r.c.Create(ctx, ev)
	if err != nil {
		r.logError(ctx, err, ev)
		return
	}
	if len(s.sent) >= maxSentEvents {
		clear(s.sent)
	}
	s.sent[pe.key] = &sentEvent{name: ev.Name, rv: out.GetObjectMeta().ResourceVersion, count: ev.Count, first: pe.first}
}

func (r *recorder) logError(ctx context.Context, err error, ev *api.Event) {
	if ctx.Err() == nil {
		r.log.Warn("write event", "reason", ev.Reason, "object", ev.InvolvedObject.Kind+"/"+ev.InvolvedObject.Name, "err", err)
	}
}

// eventName is OBJECT.UNIQUE, as Kubernetes names events.
func (r *recorder) eventName(pe *pendingEvent) string {
	name := pe.key.ref.Name
	if len(name) > 200 {
		name = name[:200]
	}
	return fmt.Sprintf("%s.%x%04x", name, pe.first.UnixNano(), r.seq.Add(1)&0xffff)
}

func (r *recorder) build(pe *pendingEvent, name string, count int32, first time.Time) *api.Event {
	ns := pe.key.ref.Namespace
	if ns == "" {
		ns = "default" // events about cluster-scoped objects, as in Kubernetes
	}
	return &api.Event{
		ObjectMeta:          api.ObjectMeta{Name: name, Namespace: ns},
		InvolvedObject:      pe.key.ref,
		Reason:              pe.key.reason,
		Message:             pe.key.message,
		Source:              api.EventSource{Component: pe.key.component},
		FirstTimestamp:      api.NewTime(first),
		LastTimestamp:       api.NewTime(pe.last),
		Count:               count,
		Type:                pe.key.typ,
		ReportingController: pe.key.component,
	}
}
