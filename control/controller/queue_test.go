package controller

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestQueueDeduplicates(t *testing.T) {
	q := NewQueue(time.Millisecond, time.Second)
	for _, k := range []string{"a", "b", "a", "c", "b"} {
		q.Add(k)
	}
	keys, _ := q.GetBatch(10)
	if got := fmt.Sprint(keys); got != "[a b c]" {
		t.Errorf("got %s, want [a b c] in order", got)
	}
}

func TestQueueNeverHandsOutAKeyTwiceAtOnce(t *testing.T) {
	q := NewQueue(time.Millisecond, time.Second)
	q.Add("a")
	k, _ := q.Get()
	q.Add("a") // changed while being processed
	q.Add("b")
	if k2, _ := q.Get(); k2 != "b" {
		t.Fatalf("got %q while a is processed, want b", k2)
	}
	if q.Len() != 0 {
		t.Fatalf("a is queued while being processed")
	}
	q.Done(k)
	if k3, _ := q.Get(); k3 != "a" {
		t.Fatalf("got %q, want a again after Done", k3)
	}
}

// TestQueueHammer has workers add and process keys concurrently and checks that no key is ever
// processed by two workers at once and that every add is followed by a processing.
func TestQueueHammer(t *testing.T) {
	q := NewQueue(time.Microsecond, time.Millisecond)
	var busy [10]atomic.Int32
	var processed [10]atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				k, ok := q.Get()
				if !ok {
					return
				}
				i := int(k[0] - '0')
				if busy[i].Add(1) != 1 {
					t.Errorf("key %s processed twice at once", k)
				}
				processed[i].Add(1)
				busy[i].Add(-1)
				q.Done(k)
			}
		})
	}
	for n := range 10000 {
		q.Add(fmt.Sprint(n % 10))
	}
	waitFor(t, 5*time.Second, "the queue to drain", func() (bool, string) { return q.Len() == 0, fmt.Sprint(q.Len()) })
	time.Sleep(10 * time.Millisecond)
	q.ShutDown()
	wg.Wait()
	for i := range processed {
		if processed[i].Load() == 0 {
			t.Errorf("key %d never processed", i)
		}
	}
}

func TestQueueAddAfter(t *testing.T) {
	q := NewQueue(time.Millisecond, time.Second)
	q.AddAfter("later", 30*time.Millisecond)
	q.AddAfter("later", time.Hour) // an earlier recheck is pending: this one is dropped
	if q.Len() != 0 {
		t.Fatal("queued before its time")
	}
	waitFor(t, time.Second, "the delayed key", func() (bool, string) { return q.Len() == 1, "" })
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{{0, 5 * time.Millisecond}, {1, 10 * time.Millisecond}, {3, 40 * time.Millisecond}, {20, 30 * time.Second}} {
		if got := backoffDelay(5*time.Millisecond, 30*time.Second, tc.failures); got != tc.want {
			t.Errorf("after %d failures: %v, want %v", tc.failures, got, tc.want)
		}
	}
	q := NewQueue(time.Millisecond, time.Second)
	q.AddRateLimited("k")
	q.AddRateLimited("k")
	if n := q.NumRequeues("k"); n != 2 {
		t.Errorf("%d requeues, want 2", n)
	}
	q.Forget("k")
	if n := q.NumRequeues("k"); n != 0 {
		t.Errorf("%d requeues after Forget, want 0", n)
	}
}

func TestQueueShutDown(t *testing.T) {
	q := NewQueue(time.Millisecond, time.Second)
	done := make(chan bool)
	go func() {
		_, ok := q.Get()
		done <- ok
	}()
	q.ShutDown()
	if <-done {
		t.Error("Get handed out a key after ShutDown")
	}
	q.Add("x")
	if q.Len() != 0 {
		t.Error("Add after ShutDown queued a key")
	}
}
