package hollow

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/controller"
)

// bindingClient is the controllers' client with the binding subresource, one pod or many at a
// time: the API server's in-process client.
type bindingClient interface {
	controller.Client
	Bind(ctx context.Context, p *api.Pod, node string) (api.Object, error)
	BindAll(ctx context.Context, pods []*api.Pod, nodes []string) ([]api.Object, []error)
}

// timedClient is the controllers' client with a stopwatch: it notes when the create of each pod
// and its binding were acknowledged, that is durable.
type timedClient struct {
	bindingClient

	created, bound atomic.Int64

	mu    sync.Mutex
	times map[string]*podTimes // by pod UID
}

type podTimes struct{ created, bound time.Time }

var (
	_ bindingClient = (*apiserver.Local)(nil)
	_ bindingClient = (*timedClient)(nil)
)

func newTimedClient(c bindingClient) *timedClient {
	return &timedClient{bindingClient: c, times: map[string]*podTimes{}}
}

func (c *timedClient) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	out, err := c.bindingClient.Create(ctx, obj)
	if p, ok := out.(*api.Pod); ok && err == nil {
		c.note(p.UID, true)
		c.created.Add(1)
	}
	return out, err
}

func (c *timedClient) Bind(ctx context.Context, p *api.Pod, node string) (api.Object, error) {
	out, err := c.bindingClient.Bind(ctx, p, node)
	if err == nil {
		c.note(p.UID, false)
		c.bound.Add(1)
	}
	return out, err
}

func (c *timedClient) BindAll(ctx context.Context, pods []*api.Pod, nodes []string) ([]api.Object, []error) {
	outs, errs := c.bindingClient.BindAll(ctx, pods, nodes)
	for i, err := range errs {
		if err == nil {
			c.note(pods[i].UID, false)
			c.bound.Add(1)
		}
	}
	return outs, errs
}

// note records now as the time the pod with uid was created, or bound.
func (c *timedClient) note(uid string, created bool) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.times[uid]
	if t == nil {
		t = &podTimes{}
		c.times[uid] = t
	}
	if created {
		t.created = now
	} else {
		t.bound = now
	}
}

// Timings summarises the recorded pods.
type Timings struct {
	Pods     int           // pods both created and bound
	Duration time.Duration // first acknowledged create to last acknowledged binding
	P50, P99 time.Duration // of each pod's create-to-binding latency

	first time.Time
}

// PodsPerSecond is Pods over Duration.
func (t Timings) PodsPerSecond() float64 {
	if t.Duration <= 0 {
		return 0
	}
	return float64(t.Pods) / t.Duration.Seconds()
}

func (c *timedClient) timings() Timings {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first, last time.Time
	lat := make([]time.Duration, 0, len(c.times))
	for _, t := range c.times {
		if t.created.IsZero() || t.bound.IsZero() {
			continue
		}
		if first.IsZero() || t.created.Before(first) {
			first = t.created
		}
		if t.bound.After(last) {
			last = t.bound
		}
		lat = append(lat, t.bound.Sub(t.created))
	}
	slices.Sort(lat)
	return Timings{Pods: len(lat), Duration: last.Sub(first), P50: percentile(lat, 50), P99: percentile(lat, 99), first: first}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
