package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controltest"
)

// startServer runs a real control plane on 127.0.0.1:0 over a store in a temp dir.
func startServer(b *testing.B) *client.Client {
	b.Helper()
	_, c := controltest.Start(b, control.Config{})
	return c
}

func configMap(name string) *api.ConfigMap {
	return &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"bench": "api"}},
		Data: map[string]string{"key": "value"}}
}

// BenchmarkAPICreate measures durable creates per second through the API (each acknowledged only
// once synced to disk), with 1 and with 64 concurrent clients.
func BenchmarkAPICreate(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			c := startServer(b)
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < clients; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := c.Create(ctx, configMap(fmt.Sprintf("cm-%d", i))); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}

// BenchmarkWatchLatency measures how long a change takes to reach a watcher over HTTP: from the
// start of the create request (so including the durable write) and from the create's
// acknowledgement (events are published before writers are acknowledged, so this is often 0).
func BenchmarkWatchLatency(b *testing.B) {
	c := startServer(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k, _ := api.ResourceFor("configmaps")
	events, err := c.Watch(ctx, k, "default", client.ListOptions{ResourceVersion: "1"})
	if err != nil {
		b.Fatal(err)
	}
	fromStart := make([]time.Duration, 0, b.N)
	fromAck := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("cm-%d", i)
		start := time.Now()
		if _, err := c.Create(ctx, configMap(name)); err != nil {
			b.Fatal(err)
		}
		acked := time.Now()
		var seen time.Time
		for ev := range events {
			if ev.Object.GetObjectMeta().Name == name {
				seen = time.Now()
				break
			}
		}
		fromStart = append(fromStart, seen.Sub(start))
		fromAck = append(fromAck, max(seen.Sub(acked), 0))
	}
	b.StopTimer()
	report := func(lat []time.Duration, unit string) {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_"+unit)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_"+unit)
	}
	report(fromStart, "us_from_request")
	report(fromAck, "us_from_ack")
}
