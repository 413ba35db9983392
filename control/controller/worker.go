package controller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
)

// loop is one controller: a queue of keys and the sync that reconciles one key.
type loop struct {
	name  string
	queue *Queue
	sync  func(ctx context.Context, key string) error
	log   *slog.Logger
}

func newLoop(name string, log *slog.Logger, sync func(ctx context.Context, key string) error) *loop {
	return &loop{
		name:  name,
		queue: NewQueue(5*time.Millisecond, 30*time.Second),
		sync:  sync,
		log:   log.With("controller", name),
	}
}

// run syncs keys with n workers until ctx ends.
func (l *loop) run(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for l.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	l.queue.ShutDown()
	wg.Wait()
}

func (l *loop) processNext(ctx context.Context) bool {
	key, ok := l.queue.Get()
	if !ok {
		return false
	}
	defer l.queue.Done(key)
	err := l.sync(ctx, key)
	switch {
	case err == nil:
		l.queue.Forget(key)
	case ctx.Err() != nil:
	default:
		level := slog.LevelWarn
		if r := reasonOf(err); r == api.ReasonConflict || r == api.ReasonNotFound || r == api.ReasonAlreadyExists {
			level = slog.LevelDebug // a stale cache; the retry sees the news
		}
		l.log.Log(ctx, level, "sync failed, retrying", "key", key, "retries", l.queue.NumRequeues(key), "err", err)
		l.queue.AddRateLimited(key)
	}
	return true
}

// reasonOf is the Status reason of an error, wrapped or not.
func reasonOf(err error) string {
	var se *api.StatusError
	if errors.As(err, &se) {
		return se.Status.Reason
	}
	return ""
}

// enqueue queues the key of obj.
func (l *loop) enqueue(obj api.Object) { l.queue.Add(keyOf(obj)) }
