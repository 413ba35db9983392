package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// recv returns the next event or fails after a timeout; ok is false if the channel closed.
func recv(t testing.TB, ch <-chan Event) (Event, bool) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		return ev, ok
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return Event{}, false
	}
}

func mustRecv(t testing.TB, ch <-chan Event) Event {
	t.Helper()
	ev, ok := recv(t, ch)
	if !ok {
		t.Fatal("watch channel closed")
	}
	return ev
}

func TestWatchReplayThenLive(t *testing.T) {
	s := openTest(t, nil)
	mustCreate(t, s, "a", "a1")                               // 1
	mustCreate(t, s, "b", "b1")                               // 2
	if _, err := s.Update("a", []byte("a2"), 1); err != nil { // 3
		t.Fatal(err)
	}
	if _, err := s.Delete("b", 0); err != nil { // 4
		t.Fatal(err)
	}
	ch, err := s.Watch(t.Context(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "c", "c1") // 5, live
	want := []struct {
		typ       EventType
		key, val  string
		prev      string
		rev, crev int64
	}{
		{Added, "b", "b1", "", 2, 2},
		{Modified, "a", "a2", "a1", 3, 1},
		{Deleted, "b", "b1", "b1", 4, 2},
		{Added, "c", "c1", "", 5, 5},
	}
	for _, w := range want {
		ev := mustRecv(t, ch)
		if ev.Type != w.typ || ev.KV.Key != w.key || string(ev.KV.Value) != w.val || string(ev.PrevValue) != w.prev ||
			ev.KV.Rev != w.rev || ev.KV.CreateRev != w.crev {
			t.Fatalf("got %v %+v prev %q, want %+v", ev.Type, ev.KV, ev.PrevValue, w)
		}
		if w.typ == Added && ev.PrevValue != nil {
			t.Fatalf("Added event has PrevValue %q", ev.PrevValue)
		}
	}
}

func TestWatchFromNowAndPrefix(t *testing.T) {
	s := openTest(t, nil)
	mustCreate(t, s, "pods/old", "x")
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Watch(ctx, "pods/", 0)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "nodes/n1", "x")
	mustCreate(t, s, "pods/new", "x")
	mustCreate(t, s, "podsx", "x")
	mustCreate(t, s, "pods/new2", "x")
	for _, want := range []string{"pods/new", "pods/new2"} {
		if ev := mustRecv(t, ch); ev.KV.Key != want {
			t.Fatalf("got %q, want %q", ev.KV.Key, want)
		}
	}
	cancel()
	if _, ok := recv(t, ch); ok {
		t.Fatal("channel still open after cancel")
	}
}

// TestWatchFromFuture: a revision above the current one waits for it.
func TestWatchFromFuture(t *testing.T) {
	s := openTest(t, nil)
	ch, err := s.Watch(t.Context(), "", 2)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mustCreate(t, s, fmt.Sprint(s.Rev()), "x")
	}
	if ev := mustRecv(t, ch); ev.KV.Rev != 3 {
		t.Fatalf("first event rev %d, want 3", ev.KV.Rev)
	}
}

// TestWatchConcurrentWriters starts a replaying watch in the middle of 8 writers and checks it
// sees every revision exactly once, in order.
func TestWatchConcurrentWriters(t *testing.T) {
	s := openTest(t, nil)
	const writers, perWriter = 8, 150
	for i := range 20 {
		mustCreate(t, s, fmt.Sprintf("pre/%d", i), "x")
	}
	var wg sync.WaitGroup
	started := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				if i == 10 && w == 0 {
					close(started)
				}
				key := fmt.Sprintf("w%d/%d", w, i)
				if _, err := s.Create(key, []byte("v")); err != nil {
					t.Errorf("create %s: %v", key, err)
					return
				}
				if i%3 == 0 {
					if _, err := s.Update(key, []byte("v2"), 0); err != nil {
						t.Errorf("update %s: %v", key, err)
						return
					}
				}
			}
		})
	}
	<-started
	const from = 10
	ch, err := s.Watch(t.Context(), "", from)
	if err != nil {
		t.Fatal(err)
	}
	end := int64(20 + writers*(perWriter+perWriter/3))
	for want := int64(from + 1); want <= end; want++ {
		if ev := mustRecv(t, ch); ev.KV.Rev != want {
			t.Fatalf("got revision %d, want %d", ev.KV.Rev, want)
		}
	}
	wg.Wait()
	if s.Rev() != end {
		t.Fatalf("Rev = %d, want %d", s.Rev(), end)
	}
	select {
	case ev := <-ch:
		t.Fatalf("extra event %+v", ev.KV)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestWatchCompacted(t *testing.T) {
	s := openTest(t, nil)
	for i := range 10 {
		mustCreate(t, s, fmt.Sprint(i), "x")
	}
	if err := s.Compact(5); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(3); err != nil { // already compacted: no-op
		t.Fatal(err)
	}
	if err := s.Compact(11); !errors.Is(err, ErrInvalid) {
		t.Fatalf("compact beyond Rev: %v", err)
	}
	if got := s.CompactedRev(); got != 5 {
		t.Fatalf("CompactedRev = %d, want 5", got)
	}
	tests := []struct {
		from    int64
		wantErr error
		first   int64
	}{
		{3, ErrCompacted, 0},
		{4, ErrCompacted, 0},
		{5, nil, 6},
		{8, nil, 9},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("from=%d", tt.from), func(t *testing.T) {
			ch, err := s.Watch(t.Context(), "", tt.from)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if ev := mustRecv(t, ch); ev.KV.Rev != tt.first {
					t.Fatalf("first rev %d, want %d", ev.KV.Rev, tt.first)
				}
			}
		})
	}
}

// TestWatchSlow: a watcher that stops reading is dropped, and resuming from its last revision
// loses nothing.
func TestWatchSlow(t *testing.T) {
	s := openTest(t, nil)
	ch, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3 * watchBuffer
	ops := make([]Op, n)
	for i := range ops {
		ops[i] = Op{Type: OpCreate, Key: fmt.Sprintf("k%05d", i), Value: []byte("v")}
	}
	for _, r := range s.Apply(ops) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	var last int64
	for {
		ev, ok := recv(t, ch)
		if !ok {
			break
		}
		if ev.KV.Rev != last+1 {
			t.Fatalf("got rev %d after %d", ev.KV.Rev, last)
		}
		last = ev.KV.Rev
	}
	if last >= n {
		t.Fatalf("slow watcher was not dropped (saw all %d events)", last)
	}
	ch, err = s.Watch(t.Context(), "", last)
	if err != nil {
		t.Fatal(err)
	}
	for want := last + 1; want <= n; want++ {
		if ev := mustRecv(t, ch); ev.KV.Rev != want {
			t.Fatalf("resumed: got rev %d, want %d", ev.KV.Rev, want)
		}
	}
}

func TestWatchClosedByStoreClose(t *testing.T) {
	s := openTest(t, nil)
	mustCreate(t, s, "a", "x")
	ch, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := recv(t, ch); ok {
		t.Fatal("channel still open after Close")
	}
}

func TestAutoCompaction(t *testing.T) {
	s := openTest(t, func(c *Config) {
		c.CompactInterval = 10 * time.Millisecond
		c.CompactKeep = 5
	})
	for i := range 20 {
		mustCreate(t, s, fmt.Sprint(i), "x")
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.CompactedRev() != 15 {
		if time.Now().After(deadline) {
			t.Fatalf("CompactedRev = %d, want 15", s.CompactedRev())
		}
		time.Sleep(5 * time.Millisecond)
	}
	evs, _, err := s.readLog("", 15, 20)
	if err != nil || len(evs) != 5 || evs[0].KV.Rev != 16 {
		t.Fatalf("log after compaction: %d events, err %v", len(evs), err)
	}
}

func TestWatchInvalid(t *testing.T) {
	s := openTest(t, nil)
	//nolint:staticcheck // a nil context is the point of the test
	if _, err := s.Watch(nil, "", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil ctx: %v", err)
	}
	if _, err := s.Watch(t.Context(), "", -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative rev: %v", err)
	}
}
