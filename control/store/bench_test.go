package store

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchValue is about the size of a small pod manifest in JSON.
var benchValue = make([]byte, 1500)

// BenchmarkCreate measures durable creates from 1 and 64 concurrent clients; group commit is
// what makes the second fast.
func BenchmarkCreate(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := openTest(b, nil)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := s.Create(fmt.Sprintf("pods/ns/p%09d", i), benchValue); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}

// BenchmarkWatchLatency measures the time from calling Create to a watcher receiving the event,
// durable commit included, with one writer.
func BenchmarkWatchLatency(b *testing.B) {
	s := openTest(b, nil)
	ch, err := s.Watch(b.Context(), "pods/", 0)
	if err != nil {
		b.Fatal(err)
	}
	starts := make([]time.Time, b.N)
	arrivals := make([]time.Time, b.N)
	received := make(chan struct{})
	go func() {
		defer close(received)
		for i := range b.N {
			if _, ok := <-ch; !ok {
				b.Error("watch closed")
				return
			}
			arrivals[i] = time.Now()
		}
	}()
	b.ResetTimer()
	for i := range b.N {
		starts[i] = time.Now()
		if _, err := s.Create(fmt.Sprintf("pods/ns/p%09d", i), benchValue); err != nil {
			b.Fatal(err)
		}
	}
	<-received
	b.StopTimer()
	lat := make([]time.Duration, b.N)
	for i := range lat {
		lat[i] = arrivals[i].Sub(starts[i])
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_us")
}
