package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// flakyWatch is the real client, except that its watch streams end after a few events and a
// watch can be made to answer 410 Gone, as after a compaction.
type flakyWatch struct {
	Client
	cut int

	mu      sync.Mutex
	gone    int // this many next watches answer 410
	lists   int
	watches int
}

func (f *flakyWatch) List(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) ([]api.Object, string, error) {
	f.mu.Lock()
	f.lists++
	f.mu.Unlock()
	return f.Client.List(ctx, k, ns, opts)
}

func (f *flakyWatch) Watch(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) (<-chan client.Event, error) {
	f.mu.Lock()
	f.watches++
	gone := f.gone > 0
	if gone {
		f.gone--
	}
	f.mu.Unlock()
	if gone {
		return nil, api.NewStatusError(http.StatusGone, api.ReasonGone, "too old resource version")
	}
	ctx, cancel := context.WithCancel(ctx)
	in, err := f.Client.Watch(ctx, k, ns, opts)
	if err != nil {
		cancel()
		return nil, err
	}
	out := make(chan client.Event)
	go func() {
		defer close(out)
		defer cancel()
		for n := 0; n < f.cut; n++ {
			ev, ok := <-in
			if !ok {
				return
			}
			out <- ev
		}
	}()
	return out, nil
}

func (f *flakyWatch) setGone(n int) {
	f.mu.Lock()
	f.gone = n
	f.mu.Unlock()
}

func (f *flakyWatch) counts() (lists, watches int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists, f.watches
}

// TestInformerFollowsBrokenStreams checks that the cache ends up equal to the server's state when
// every watch stream ends after three events and the server answers 410 twice.
func TestInformerFollowsBrokenStreams(t *testing.T) {
	c := newServer(t)
	ctx := context.Background()
	create := func(name string) {
		if _, err := c.Create(ctx, newPod(name)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		create(fmt.Sprintf("p%d", i))
	}
	f := &flakyWatch{Client: c, cut: 3}
	inf := NewInformer(podKind, f, slog.New(slog.DiscardHandler), map[string]IndexFunc{indexNode: nodeIndex})
	var mu sync.Mutex
	adds := map[string]int{}
	inf.AddHandler(func(old, cur api.Object) {
		if old == nil {
			mu.Lock()
			adds[keyOf(cur)]++
			mu.Unlock()
		}
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { inf.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	<-inf.Synced()

	for i := 5; i < 20; i++ {
		create(fmt.Sprintf("p%d", i))
		if i == 12 {
			f.setGone(1)
		}
	}
	waitFor(t, 5*time.Second, "the first 410", func() (bool, string) {
		lists, _ := f.counts()
		return lists == 2, fmt.Sprintf("%d lists", lists)
	})
	f.setGone(1)
	for i := range 5 {
		if _, err := c.Delete(ctx, podKind, "default", fmt.Sprintf("p%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	p := newPod("p19")
	p.Spec.NodeName = "n1"
	if _, _, err := c.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	want := func() []string {
		objs, _, err := c.List(ctx, podKind, "default", client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range objs {
			names = append(names, keyOf(o)+"@"+o.GetObjectMeta().ResourceVersion)
		}
		slices.Sort(names)
		return names
	}()
	waitFor(t, 5*time.Second, "the cache to match the server", func() (bool, string) {
		var names []string
		for _, o := range inf.List("default") {
			names = append(names, keyOf(o)+"@"+o.GetObjectMeta().ResourceVersion)
		}
		slices.Sort(names)
		return slices.Equal(names, want), fmt.Sprintf("cache %v, server %v", names, want)
	})
	if got := inf.ByIndex(indexNode, "n1"); len(got) != 1 || got[0].GetObjectMeta().Name != "p19" {
		t.Errorf("node index holds %v, want p19", got)
	}
	lists, watches := f.counts()
	t.Logf("%d lists, %d watches", lists, watches)
	if lists < 3 {
		t.Errorf("%d lists, want one at start and one after each 410", lists)
	}
	mu.Lock()
	defer mu.Unlock()
	for key, n := range adds {
		if n != 1 {
			t.Errorf("%s added %d times", key, n)
		}
	}
}

// TestObservedWritesAndDeletes checks the cache's view of the controllers' own writes: an answer
// older than what the cache holds is ignored, and an object deleted does not come back with the
// answer to a write made before the delete.
func TestObservedWritesAndDeletes(t *testing.T) {
	inf := NewInformer(podKind, nil, slog.New(slog.DiscardHandler), nil)
	v := func(rv string) *api.Pod {
		p := newPod("p")
		p.ResourceVersion = rv
		return p
	}
	inf.Observe(v("5"))
	inf.Observe(v("4"))
	if got := inf.Get("default", "p").GetObjectMeta().ResourceVersion; got != "5" {
		t.Fatalf("cache has version %s, want 5", got)
	}
	inf.handle(client.Event{Type: api.Deleted, Object: v("7")}, "")
	inf.Observe(v("6")) // answered before the delete, observed after it
	if inf.Get("default", "p") != nil {
		t.Fatal("a deleted pod came back")
	}
	inf.Observe(v("9")) // made anew
	if inf.Get("default", "p") == nil {
		t.Fatal("a new pod of the same name was not cached")
	}
	inf.ObserveDelete(v("9"))
	inf.handle(client.Event{Type: api.Modified, Object: v("9")}, "")
	if inf.Get("default", "p") != nil {
		t.Fatal("a watch event older than our delete brought the pod back")
	}
}
