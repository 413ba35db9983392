package scheduler

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/wk-project/wk/control/api"
)

func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for iter := range 20 {
		c := randomCluster(rng, 150)
		first := Schedule(NewSnapshot(c.nodes, c.bound), c.pending, now)
		again := Schedule(NewSnapshot(c.nodes, c.bound), c.pending, now)
		shuffled := Schedule(NewSnapshot(shuffle(rng, c.nodes), shuffle(rng, c.bound)), c.pending, now)
		for i := range first {
			if first[i] != again[i] || first[i] != shuffled[i] {
				t.Fatalf("iteration %d, pod %d: %+v, then %+v, then with shuffled input %+v", iter, i, first[i], again[i], shuffled[i])
			}
		}
	}
}

func shuffle[T any](rng *rand.Rand, xs []T) []T {
	out := append([]T(nil), xs...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestScheduleSeesEarlierPlacements(t *testing.T) {
	snap := NewSnapshot([]*api.Node{node("a", alloc("1", "1Gi", "10"))}, nil)
	first := Schedule(snap, []*api.Pod{pod("p1", requests("600m", ""), hostPorts(80))}, now)
	second := Schedule(snap, []*api.Pod{pod("p2", requests("600m", "")), pod("p3", hostPorts(80)), pod("p4", requests("400m", ""))}, now)
	got := []string{first[0].NodeName, second[0].Reason, second[1].Reason, second[2].NodeName}
	want := []string{
		"a",
		"0/1 nodes are available: 1 Insufficient cpu.",
		"0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.",
		"a",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("decision %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestBoundPodPassesThrough(t *testing.T) {
	snap := NewSnapshot([]*api.Node{node("a", alloc("1", "1Gi", "10"))}, nil)
	ds := Schedule(snap, []*api.Pod{pod("p1", boundTo("elsewhere"), requests("1", "")), pod("p2", requests("1", ""))}, now)
	if ds[0].NodeName != "elsewhere" || ds[1].NodeName != "a" {
		t.Errorf("got %q and %q, want elsewhere and a", ds[0].NodeName, ds[1].NodeName)
	}
}

func TestScores(t *testing.T) {
	tests := []struct {
		name  string
		nodes []*api.Node
		bound []*api.Pod
		pod   *api.Pod
		want  string
	}{
		{
			name:  "least allocated",
			nodes: []*api.Node{node("a"), node("b"), node("c")},
			bound: []*api.Pod{pod("x", boundTo("a"), requests("1", "1Gi")), pod("y", boundTo("c"), requests("100m", "100Mi"))},
			pod:   pod("p", requests("500m", "512Mi")),
			want:  "b",
		},
		{
			name:  "least allocated prefers the bigger node",
			nodes: []*api.Node{node("a", alloc("2", "4Gi", "10")), node("b", alloc("8", "16Gi", "10"))},
			pod:   pod("p", requests("1", "1Gi")),
			want:  "b",
		},
		{
			name:  "request-less pods count as 100m and 200Mi",
			nodes: []*api.Node{node("a"), node("b")},
			bound: []*api.Pod{pod("x", boundTo("a"))},
			pod:   pod("p"),
			want:  "b",
		},
		{
			name:  "ties go to the first node",
			nodes: []*api.Node{node("c"), node("b"), node("a")},
			pod:   pod("p"),
			want:  "a",
		},
		{
			name:  "preferred affinity",
			nodes: []*api.Node{node("a"), node("b", label("disk", "ssd")), node("c", label("disk", "ssd"), label("fast", "yes"))},
			pod:   pod("p", preferred(10, term(expr("disk", "In", "ssd"))), preferred(50, term(expr("fast", "Exists")))),
			want:  "c",
		},
		{
			name:  "preferred affinity outweighs load",
			nodes: []*api.Node{node("a"), node("b", label("disk", "ssd"))},
			bound: []*api.Pod{pod("x", boundTo("b"), requests("2", "4Gi"))},
			pod:   pod("p", preferred(1, term(expr("disk", "In", "ssd")))),
			want:  "b",
		},
		{
			name:  "PreferNoSchedule is avoided",
			nodes: []*api.Node{node("a", taint("old", "", api.TaintPreferNoSched)), node("b")},
			bound: []*api.Pod{pod("x", boundTo("b"), requests("2", "4Gi"))},
			pod:   pod("p"),
			want:  "b",
		},
		{
			name:  "PreferNoSchedule tolerated",
			nodes: []*api.Node{node("a", taint("old", "", api.TaintPreferNoSched)), node("b")},
			bound: []*api.Pod{pod("x", boundTo("b"), requests("2", "4Gi"))},
			pod:   pod("p", tolerate("old", "Exists", "", api.TaintPreferNoSched)),
			want:  "a",
		},
		{
			name:  "PreferNoSchedule used when nothing else fits",
			nodes: []*api.Node{node("a", taint("old", "", api.TaintPreferNoSched)), node("b", alloc("1", "1Gi", "10"))},
			pod:   pod("p", requests("2", "")),
			want:  "a",
		},
		{
			name:  "named node",
			nodes: []*api.Node{node("a"), node("b"), node("c")},
			pod:   pod("p", required(fieldTerm(expr("metadata.name", "In", "c", "missing")))),
			want:  "c",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Schedule(NewSnapshot(tt.nodes, tt.bound), []*api.Pod{tt.pod}, now)[0]
			if d.NodeName != tt.want {
				t.Errorf("got %q (%s), want %q", d.NodeName, d.Reason, tt.want)
			}
		})
	}
}

// TestSignatures checks that pods whose constraints differ only in values get their own
// feasible nodes.
func TestSignatures(t *testing.T) {
	nodes := []*api.Node{
		node("ssd", label("disk", "ssd")),
		node("hdd", label("disk", "hdd")),
		node("gpu", taint("gpu", "yes", api.TaintNoSchedule), label("disk", "none")),
		node("tpu", taint("tpu", "yes", api.TaintNoSchedule), label("disk", "none")),
	}
	pods := []*api.Pod{
		pod("p1", nodeSelector("disk", "ssd")),
		pod("p2", nodeSelector("disk", "hdd")),
		pod("p3", nodeSelector("disk", "ssd")),
		pod("p4", nodeSelector("disk", "none"), tolerate("gpu", "Exists", "", "")),
		pod("p5", nodeSelector("disk", "none"), tolerate("tpu", "Exists", "", "")),
		pod("p6", required(term(expr("disk", "In", "hdd")))),
		pod("p7", required(term(expr("disk", "NotIn", "hdd", "none")))),
		pod("p8", required(term(expr("disk", "In", "ssd")))),
	}
	want := []string{"ssd", "hdd", "ssd", "gpu", "tpu", "hdd", "ssd", "ssd"}
	for i, d := range Schedule(NewSnapshot(nodes, nil), pods, now) {
		if d.NodeName != want[i] {
			t.Errorf("%s: got %q (%s), want %q", d.Pod.Name, d.NodeName, d.Reason, want[i])
		}
	}
}

func TestNewSnapshot(t *testing.T) {
	first := node("a", alloc("1", "1Gi", "10"))
	dup := node("a", alloc("8", "8Gi", "10"))
	bound := []*api.Pod{
		pod("x", boundTo("a"), requests("500m", "")),
		pod("lost", boundTo("gone"), requests("8", "")),
		pod("pending", requests("8", "")),
		pod("failed", boundTo("a"), requests("8", ""), func(p *api.Pod) { p.Status.Phase = api.PodFailed }),
	}
	snap := NewSnapshot([]*api.Node{first, nil, dup, node("")}, bound)
	if len(snap.nodes) != 1 {
		t.Fatalf("%d nodes, want 1", len(snap.nodes))
	}
	want := resources{cpu: 500, mem: 1 << 30, pods: 9}
	if got := snap.state[0].free; got != want {
		t.Errorf("free %+v, want %+v", got, want)
	}
}

func TestOrderNodes(t *testing.T) {
	var nodes []*api.Node
	for _, z := range []string{"b", "a", "b", "", "a", "b", "c"} {
		nodes = append(nodes, node(fmt.Sprintf("n%d", len(nodes)), zone(z)))
	}
	ordered, zones := orderNodes(nodes)
	var got []string
	for _, n := range ordered {
		got = append(got, n.Name+"/"+n.Labels[LabelZone])
	}
	want := "[n3/ n1/a n0/b n6/c n4/a n2/b n5/b]"
	if fmt.Sprint(got) != want || fmt.Sprint(zones) != "[a b c]" {
		t.Errorf("got %v and zones %v, want %s and [a b c]", got, zones, want)
	}
}

func TestNodesToScore(t *testing.T) {
	for _, tt := range []struct{ nodes, pct, want int }{
		{3, 0, 3}, {100, 0, 100}, {1000, 0, 100}, {5000, 0, 250}, {5000, 50, 2500}, {5000, 200, 5000}, {1000, 100, 1000},
	} {
		s := &Snapshot{nodes: make([]nodeFacts, tt.nodes), PercentageOfNodesToScore: tt.pct}
		if got := s.nodesToScore(); got != tt.want {
			t.Errorf("%d nodes at %d%%: %d, want %d", tt.nodes, tt.pct, got, tt.want)
		}
	}
}

func TestNoAllocationsPerPod(t *testing.T) {
	var nodes []*api.Node
	for i := range 500 {
		nodes = append(nodes, node(fmt.Sprintf("n%d", i), zone(fmt.Sprint(i%3)), alloc("1000", "1000Gi", "100000")))
	}
	snap := NewSnapshot(nodes, nil)
	for _, tt := range []struct {
		name string
		pod  *api.Pod
	}{
		{"plain", pod("p", requests("100m", "100Mi"))},
		{"owned", pod("q", ownedBy("web"), requests("100m", "100Mi"))},
		{"constrained", pod("r", ownedBy("db"), nodeSelector(LabelZone, "1"), tolerate("x", "Exists", "", ""))},
	} {
		snap.scheduleOne(tt.pod) // warm the caches
		allocs := testing.AllocsPerRun(1000, func() { snap.scheduleOne(tt.pod) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations per pod, want 0", tt.name, allocs)
		}
	}
}
