package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// EventType is the kind of a change.
type EventType int

// Change kinds.
const (
	Added EventType = iota
	Modified
	Deleted
)

func (t EventType) String() string {
	switch t {
	case Added:
		return "ADDED"
	case Modified:
		return "MODIFIED"
	case Deleted:
		return "DELETED"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one committed change. For Modified, PrevValue is the value before; for Deleted,
// KV.Value and PrevValue are both the last value and KV.Rev is the delete's revision; for Added,
// PrevValue is nil.
type Event struct {
	Type      EventType
	KV        KV
	PrevValue []byte
}

// watchBuffer is how many events a watcher may have pending before it is dropped.
const watchBuffer = 1024

// Watch sends every change with Rev > fromRev to keys with the prefix, in revision order, with
// no gaps: first replayed from the change log, then live. fromRev 0 means from now. A fromRev
// below CompactedRev returns ErrCompacted. The channel closes when ctx ends, the store closes,
// the watcher falls more than about 1024 events behind, or the log it still has to replay is
// compacted; the caller then watches again from the last revision it saw.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan Event, error) {
	switch {
	case ctx == nil:
		return nil, fmt.Errorf("watch %q: %w: nil context", prefix, ErrInvalid)
	case fromRev < 0:
		return nil, fmt.Errorf("watch %q: %w: negative revision %d", prefix, ErrInvalid, fromRev)
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("watch %q: %w", prefix, ErrClosed)
	}
	if c := s.compacted.Load(); fromRev != 0 && fromRev < c {
		return nil, fmt.Errorf("watch %q from revision %d: %w (compacted up to %d)", prefix, fromRev, ErrCompacted, c)
	}
	w := &watcher{prefix: prefix, out: make(chan Event), wake: make(chan struct{}, 1)}
	// Registered under the publisher's lock: events up to `to` are in the log, events above it
	// will be pushed to w.
	to := s.hub.register(w, fromRev)
	if fromRev == 0 {
		fromRev = to
	}
	s.bg.Add(1)
	go s.pump(ctx, w, fromRev, to)
	return w.out, nil
}

// pump feeds w.out: the log in (from, to], then the live events pushed to w.
func (s *Store) pump(ctx context.Context, w *watcher, from, to int64) {
	defer s.bg.Done()
	defer close(w.out)
	defer s.hub.unregister(w)
	if !s.replay(ctx, w, from, to) {
		return
	}
	for {
		ev, ok, lagged := w.pop()
		switch {
		case lagged:
			return
		case ok:
			if !s.send(ctx, w, ev) {
				return
			}
			continue
		}
		select {
		case <-w.wake:
		case <-ctx.Done():
			return
		case <-s.done:
			return
		}
	}
}

// replay sends the change log in (from, to] in chunks, each read in its own snapshot.
func (s *Store) replay(ctx context.Context, w *watcher, from, to int64) bool {
	for from < to {
		evs, next, err := s.readLog(w.prefix, from, to)
		if err != nil {
			s.log.Debug("watch replay stopped", "prefix", w.prefix, "rev", from, "err", err)
			return false
		}
		for _, ev := range evs {
			if !s.send(ctx, w, ev) {
				return false
			}
		}
		from = next
	}
	return true
}

func (s *Store) send(ctx context.Context, w *watcher, ev Event) bool {
	select {
	case w.out <- ev:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// watcher is one Watch call. The hub pushes live events into queue; its pump drains it.
type watcher struct {
	prefix string
	after  int64 // live events at or below it are skipped: replay covers them; guarded by hub.mu
	out    chan Event
	wake   chan struct{}

	mu     sync.Mutex
	queue  []Event
	lagged bool
}

func (w *watcher) push(evs []Event) {
	w.mu.Lock()
	n := 0
	for _, ev := range evs {
		if w.lagged || ev.KV.Rev <= w.after || !strings.HasPrefix(ev.KV.Key, w.prefix) {
			continue
		}
		if len(w.queue) >= watchBuffer {
			w.lagged, w.queue = true, nil
			break
		}
		w.queue = append(w.queue, ev)
		n++
	}
	signal := n > 0 || w.lagged
	w.mu.Unlock()
	if signal {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (w *watcher) pop() (ev Event, ok, lagged bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lagged {
		return Event{}, false, true
	}
	if len(w.queue) == 0 {
		return Event{}, false, false
	}
	ev = w.queue[0]
	w.queue[0] = Event{}
	w.queue = w.queue[1:]
	return ev, true, false
}

// hub hands committed events to the registered watchers.
type hub struct {
	mu       sync.Mutex
	rev      int64 // last published revision
	watchers map[*watcher]struct{}
}

func (h *hub) init(rev int64) {
	h.rev = rev
	h.watchers = make(map[*watcher]struct{})
}

// register adds w, which will receive live events above max(fromRev, the last published
// revision), and returns that last published revision.
func (h *hub) register(w *watcher, fromRev int64) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	w.after = max(fromRev, h.rev)
	h.watchers[w] = struct{}{}
	return h.rev
}

func (h *hub) unregister(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.watchers, w)
}

// publish hands evs, committed and in revision order, to every watcher.
func (h *hub) publish(evs []Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		w.push(evs)
	}
	h.rev = evs[len(evs)-1].KV.Rev
}
