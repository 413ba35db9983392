package scheduler

import (
	"fmt"
	"maps"
	"testing"

	"github.com/wk-project/wk/control/api"
)

func TestSpread(t *testing.T) {
	three := func() []*api.Node { return []*api.Node{node("a"), node("b"), node("c")} }
	tests := []struct {
		name  string
		nodes []*api.Node
		bound []*api.Pod
		pods  []*api.Pod
		want  map[string]int
	}{
		{
			name:  "6 replicas over 3 nodes",
			nodes: three(),
			pods:  replicas("web", 6),
			want:  map[string]int{"a": 2, "b": 2, "c": 2},
		},
		{
			name:  "6 replicas with requests over 3 nodes",
			nodes: three(),
			pods:  replicas("web", 6, requests("250m", "256Mi")),
			want:  map[string]int{"a": 2, "b": 2, "c": 2},
		},
		{
			name:  "replicas already bound count",
			nodes: three(),
			bound: replicas("web", 2, boundTo("a")),
			pods:  replicas("web-new", 4, ownedBy("web")),
			want:  map[string]int{"b": 2, "c": 2},
		},
		{
			name:  "spread beats a less loaded node",
			nodes: three(),
			bound: []*api.Pod{pod("big", boundTo("b"), requests("2", "4Gi")), pod("big2", boundTo("c"), requests("2", "4Gi")), pod("web-0", ownedBy("web"), boundTo("a"))},
			pods:  replicas("web-new", 1, ownedBy("web")),
			want:  map[string]int{"b": 1},
		},
		{
			name:  "other owners' pods are not replicas",
			nodes: three(),
			bound: replicas("db", 3, boundTo("a")),
			pods:  replicas("web", 6),
			want:  map[string]int{"a": 2, "b": 2, "c": 2},
		},
		{
			name:  "6 replicas over 3 zones",
			nodes: []*api.Node{node("a1", zone("a")), node("a2", zone("a")), node("b1", zone("b")), node("b2", zone("b")), node("c1", zone("c")), node("c2", zone("c"))},
			pods:  replicas("web", 6),
			want:  map[string]int{"a1": 1, "a2": 1, "b1": 1, "b2": 1, "c1": 1, "c2": 1},
		},
		{
			name:  "an empty zone beats a less loaded node in a used zone",
			nodes: []*api.Node{node("a1", zone("a")), node("a2", zone("a")), node("b1", zone("b")), node("b2", zone("b"))},
			bound: []*api.Pod{
				pod("web-0", ownedBy("web"), boundTo("a1")),
				pod("big", boundTo("b1"), requests("1", "2Gi")),
				pod("big2", boundTo("b2"), requests("1", "2Gi")),
			},
			pods: replicas("web-new", 1, ownedBy("web")),
			want: map[string]int{"b1": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := placements(Schedule(NewSnapshot(tt.nodes, tt.bound), tt.pods, now))
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSpreadSampled checks spreading when only a sample of the nodes is scored per pod: ten
// owners' replicas, interleaved, over 1,000 nodes in three zones. (Had all pods shared one scan
// position, each owner would only ever have seen a tenth of the cluster.)
func TestSpreadSampled(t *testing.T) {
	var nodes []*api.Node
	for i := range 1000 {
		nodes = append(nodes, node(fmt.Sprintf("n%04d", i), zone(string(rune('a'+i%3)))))
	}
	snap := NewSnapshot(nodes, nil)
	if got := snap.nodesToScore(); got != 100 {
		t.Fatalf("nodesToScore = %d, want 100", got)
	}
	var pods []*api.Pod
	for i := range 300 {
		for o := range 10 {
			pods = append(pods, pod(fmt.Sprintf("rs%d-%d", o, i), ownedBy(fmt.Sprintf("rs%d", o)), requests("100m", "128Mi")))
		}
	}
	perOwner := map[string]map[string]int{}
	for _, d := range Schedule(snap, pods, now) {
		o := controllerUID(d.Pod)
		if perOwner[o] == nil {
			perOwner[o] = map[string]int{}
		}
		perOwner[o][d.NodeName]++
	}
	for o, perNode := range perOwner {
		perZone := map[string]int{}
		for name, n := range perNode {
			if n > 1 {
				t.Errorf("%s: node %s got %d replicas, want at most 1", o, name, n)
			}
			perZone[snap.zones[snap.nodes[snap.byName[name]].zone]] += n
		}
		// Zones are balanced in proportion, so load may tip the last replicas either way.
		lo, hi := min(perZone["a"], perZone["b"], perZone["c"]), max(perZone["a"], perZone["b"], perZone["c"])
		if hi-lo > 2 || perZone["a"]+perZone["b"]+perZone["c"] != 300 {
			t.Errorf("%s: per zone %v, want 100 each, give or take one", o, perZone)
		}
	}
}
