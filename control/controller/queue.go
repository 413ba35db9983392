package controller

import (
	"sync"
	"time"
)

// Queue is a work queue of keys, like client-go's: a key queued twice is there once, a key being
// processed is not handed out again until Done (a key added meanwhile is queued again at Done),
// a failed key comes back after an exponential back-off, and AddAfter schedules a recheck.
type Queue struct {
	base, max time.Duration

	mu         sync.Mutex
	cond       *sync.Cond
	items      []string
	dirty      map[string]struct{} // queued, or to be queued again at Done
	processing map[string]struct{}
	failures   map[string]int
	waiting    map[string]time.Time // the earliest pending AddAfter of each key
	closed     bool
}

// NewQueue returns a queue whose back-off starts at base and doubles up to max.
func NewQueue(base, max time.Duration) *Queue {
	q := &Queue{
		base:       base,
		max:        max,
		dirty:      map[string]struct{}{},
		processing: map[string]struct{}{},
		failures:   map[string]int{},
		waiting:    map[string]time.Time{},
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key unless it is queued already.
func (q *Queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

func (q *Queue) addLocked(key string) {
	if q.closed {
		return
	}
	if _, ok := q.dirty[key]; ok {
		return
	}
	q.dirty[key] = struct{}{}
	if _, ok := q.processing[key]; ok {
		return
	}
	q.items = append(q.items, key)
	q.cond.Signal()
}

// AddAfter queues key once d has passed.
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	at := time.Now().Add(d)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if w, ok := q.waiting[key]; ok && !w.After(at) {
		return // an earlier recheck is pending
	}
	q.waiting[key] = at
	time.AfterFunc(d, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if w, ok := q.waiting[key]; ok && w.Equal(at) {
			delete(q.waiting, key)
		}
		q.addLocked(key)
	})
}

// AddRateLimited queues key after its back-off, which doubles with every failure until Forget.
func (q *Queue) AddRateLimited(key string) {
	q.mu.Lock()
	n := q.failures[key]
	q.failures[key] = n + 1
	q.mu.Unlock()
	q.AddAfter(key, backoffDelay(q.base, q.max, n))
}

// backoffDelay is base doubled for each of n earlier failures, at most max.
func backoffDelay(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Forget clears key's back-off after a success.
func (q *Queue) Forget(key string) {
	q.mu.Lock()
	delete(q.failures, key)
	q.mu.Unlock()
}

// NumRequeues is how many times key failed since it was last forgotten.
func (q *Queue) NumRequeues(key string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.failures[key]
}

// Get blocks until a key is ready and hands it out; the caller must call Done with it. ok is
// false once the queue is shut down.
func (q *Queue) Get() (key string, ok bool) {
	keys, ok := q.GetBatch(1)
	if !ok {
		return "", false
	}
	return keys[0], true
}

// GetBatch blocks until at least one key is ready and hands out up to max keys; the caller must
// call Done with each.
func (q *Queue) GetBatch(max int) (keys []string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, false
	}
	n := min(max, len(q.items))
	keys = make([]string, n)
	copy(keys, q.items[:n])
	q.items = q.items[n:]
	for _, k := range keys {
		q.processing[k] = struct{}{}
		delete(q.dirty, k)
	}
	return keys, true
}

// Done ends the processing of key; if it was added meanwhile, it is queued again.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if _, ok := q.dirty[key]; ok {
		q.items = append(q.items, key)
		q.cond.Signal()
	}
}

// Len is the number of keys ready to be handed out.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// ShutDown makes Get return false from now on, and ignores later adds.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}
