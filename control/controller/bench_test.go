package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// BenchmarkBindings measures the scheduler loop end to end against the real API server: pods
// bound per second, from a backlog of pending pods, with and without its events written.
func BenchmarkBindings(b *testing.B) {
	for _, events := range []bool{true, false} {
		b.Run(fmt.Sprintf("events=%v", events), func(b *testing.B) {
			const pods, nodes = 1000, 50
			var total time.Duration
			for range b.N {
				total += bindBacklog(b, pods, nodes, events)
			}
			b.ReportMetric(float64(pods*b.N)/total.Seconds(), "pods/s")
		})
	}
}

func bindBacklog(b *testing.B, pods, nodes int, events bool) time.Duration {
	b.StopTimer()
	c := newServer(b)
	ctx := context.Background()
	for i := range nodes {
		now := api.Now()
		n := &api.Node{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("node%d", i)}, Status: api.NodeStatus{
			Capacity:   api.ResourceList{"cpu": api.MustParseQuantity("64"), "memory": api.MustParseQuantity("64Gi"), "pods": api.MustParseQuantity("500")},
			Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, LastHeartbeatTime: now}},
		}}
		if _, err := c.Create(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < pods; i += 16 {
				if _, err := c.Create(ctx, newPod(fmt.Sprintf("p%d", i))); err != nil {
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	cfg := DefaultConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	m := New(cfg, c)
	if !events {
		m.scheduler.ev = eventSink{r: newRecorder(nil, cfg.Logger, time.Now), component: componentScheduler}
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	b.StartTimer()
	start := time.Now()
	go func() { m.Run(runCtx); close(done) }()
	for {
		objs, _, err := c.List(ctx, podKind, "default", client.ListOptions{FieldSelector: "spec.nodeName="})
		if err != nil {
			b.Fatal(err)
		}
		if len(objs) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	return elapsed
}
