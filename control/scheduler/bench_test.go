package scheduler

import (
	"fmt"
	"testing"

	"github.com/wk-project/wk/control/api"
)

// BenchmarkSchedule measures one op per pod: b.N pods are scheduled in batches of 1,000 onto a
// cluster that is rebuilt (off the clock) each time 10 pods per node have been placed.
//
//   - nodes=N: pods with requests, 10 owners, nodes in 3 zones.
//   - nodes=5000/constraints: as above, and a fifth of the pods select the tenth of the nodes
//     labelled pool=special, every seventh node carries a NoSchedule taint that half the owners
//     tolerate, and every pod is spread across nodes and zones.
func BenchmarkSchedule(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			benchSchedule(b, benchNodes(n, false), benchPods(10*n, false))
		})
	}
	b.Run("nodes=5000/constraints", func(b *testing.B) {
		benchSchedule(b, benchNodes(5000, true), benchPods(50000, true))
	})
}

func benchSchedule(b *testing.B, nodes []*api.Node, pods []*api.Pod) {
	const batch = 1000
	snap := NewSnapshot(nodes, nil)
	next, unschedulable := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		if next == len(pods) {
			b.StopTimer()
			snap, next = NewSnapshot(nodes, nil), 0
			b.StartTimer()
		}
		k := min(batch, b.N-done, len(pods)-next)
		for _, d := range Schedule(snap, pods[next:next+k], now) {
			if d.NodeName == "" {
				unschedulable++
			}
		}
		next, done = next+k, done+k
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
	if unschedulable > 0 {
		b.Fatalf("%d of %d pods did not fit", unschedulable, b.N)
	}
}

func benchNodes(n int, constraints bool) []*api.Node {
	nodes := make([]*api.Node, n)
	for i := range nodes {
		nd := node(fmt.Sprintf("node-%05d", i), alloc("16", "64Gi", "110"), zone(fmt.Sprintf("zone-%d", i%3)))
		if constraints && i%10 == 0 {
			nd.Labels["pool"] = "special"
		}
		if constraints && i%7 == 0 {
			nd.Spec.Taints = []api.Taint{{Key: "dedicated", Value: "batch", Effect: api.TaintNoSchedule}}
		}
		nodes[i] = nd
	}
	return nodes
}

func benchPods(n int, constraints bool) []*api.Pod {
	sizes := [][2]string{{"100m", "128Mi"}, {"250m", "256Mi"}, {"500m", "512Mi"}}
	pods := make([]*api.Pod, n)
	for i := range pods {
		owner := i % 10
		size := sizes[owner%len(sizes)]
		opts := []podOpt{ownedBy(fmt.Sprintf("rs-%d", owner)), requests(size[0], size[1])}
		if constraints && owner%5 == 0 {
			opts = append(opts, nodeSelector("pool", "special"))
		}
		if constraints && owner%2 == 0 {
			opts = append(opts, tolerate("dedicated", "Equal", "batch", api.TaintNoSchedule))
		}
		pods[i] = pod(fmt.Sprintf("pod-%d", i), opts...)
	}
	return pods
}

// BenchmarkNewSnapshot builds a snapshot of 5,000 nodes carrying 50,000 bound pods.
func BenchmarkNewSnapshot(b *testing.B) {
	nodes := benchNodes(5000, true)
	pods := benchPods(50000, true)
	snap := NewSnapshot(nodes, nil)
	for i, d := range Schedule(snap, pods, now) {
		pods[i].Spec.NodeName = d.NodeName
	}
	b.ReportAllocs()
	for b.Loop() {
		NewSnapshot(nodes, pods)
	}
}
