package hollow

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
)

// TestRun runs a small benchmark with and without constraints and checks where every pod ended:
// bound, Running and Ready, on a node that matches its selector, whose taints it tolerates and
// whose capacity it fits, with each ReplicaSet's pods spread over the nodes and zones open to it.
func TestRun(t *testing.T) {
	for _, constraints := range []bool{false, true} {
		t.Run(fmt.Sprintf("constraints=%v", constraints), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Nodes, cfg.Pods, cfg.PodsPerSet, cfg.Constraints = 50, 500, 100, constraints
			cfg.Dir = t.TempDir()
			var progress strings.Builder
			cfg.Progress = &progress
			res, err := run(context.Background(), cfg, func(c *apiserver.Local) error {
				checkPlacement(t, c, cfg)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Pods != cfg.Pods || res.PodsPerSecond() <= 0 || res.P50 > res.P99 || res.PeakRSS <= 0 {
				t.Errorf("result %+v", res)
			}
			if !strings.Contains(progress.String(), fmt.Sprintf("bound %d", cfg.Pods)) {
				t.Errorf("progress never showed every pod bound:\n%s", progress.String())
			}
		})
	}
}

func checkPlacement(t *testing.T, c *apiserver.Local, cfg Config) {
	t.Helper()
	ctx := context.Background()
	nodeKind, _ := api.ResourceFor("nodes")
	objs, _, err := c.List(ctx, nodeKind, "", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*api.Node{}
	for _, o := range objs {
		nodes[o.GetObjectMeta().Name] = o.(*api.Node)
	}
	if objs, _, err = c.List(ctx, podKind, "", client.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(objs) != cfg.Pods {
		t.Fatalf("%d pods, want %d", len(objs), cfg.Pods)
	}
	type use struct{ pods, cpu, mem int64 }
	used := map[string]*use{}
	perSet := map[string]map[string]int{} // ReplicaSet -> node -> pods
	for _, o := range objs {
		p := o.(*api.Pod)
		n := nodes[p.Spec.NodeName]
		switch {
		case n == nil:
			t.Errorf("pod %s is bound to %q, not a node", p.Name, p.Spec.NodeName)
			continue
		case p.Status.Phase != api.PodRunning || !isReady(p):
			t.Errorf("pod %s is %s, ready %v", p.Name, p.Status.Phase, isReady(p))
		case !scheduled(p):
			t.Errorf("pod %s has no PodScheduled=True condition", p.Name)
		}
		if cfg.Constraints && len(p.Spec.NodeSelector) == 0 {
			t.Errorf("pod %s has no nodeSelector", p.Name)
		}
		for k, v := range p.Spec.NodeSelector {
			if n.Labels[k] != v {
				t.Errorf("pod %s selects %s=%s, node %s has %q", p.Name, k, v, n.Name, n.Labels[k])
			}
		}
		for _, taint := range n.Spec.Taints {
			if taint.Effect != api.TaintPreferNoSched && !tolerates(p, taint) {
				t.Errorf("pod %s is on node %s, whose taint %s=%s:%s it does not tolerate", p.Name, n.Name, taint.Key, taint.Value, taint.Effect)
			}
		}
		u := used[n.Name]
		if u == nil {
			u = &use{}
			used[n.Name] = u
		}
		req := p.Spec.Containers[0].Resources.Requests
		u.pods++
		u.cpu += req["cpu"].MilliValue()
		u.mem += req["memory"].Value()
		set := p.Labels["set"]
		if perSet[set] == nil {
			perSet[set] = map[string]int{}
		}
		perSet[set][n.Name]++
	}
	for name, u := range used {
		a := nodes[name].Status.Allocatable
		if u.pods > a["pods"].Value() || u.cpu > a["cpu"].MilliValue() || u.mem > a["memory"].Value() {
			t.Errorf("node %s is over capacity: %d pods, %dm cpu, %d bytes", name, u.pods, u.cpu, u.mem)
		}
	}
	for set, on := range perSet {
		checkSpread(t, set, on, openNodes(nodes, set, cfg.Constraints))
	}
}

// openNodes are the nodes a ReplicaSet's pods may use.
func openNodes(nodes map[string]*api.Node, set string, constraints bool) []*api.Node {
	var j int
	fmt.Sscanf(set, "bench-%d", &j)
	var out []*api.Node
	for _, n := range nodes {
		if !constraints || n.Labels[labelPool] == poolName(j%pools) {
			out = append(out, n)
		}
	}
	return out
}

// checkSpread wants a ReplicaSet's pods on every node open to it, as evenly as the numbers allow
// (counts differ by at most one), and so in every zone of those nodes.
func checkSpread(t *testing.T, set string, on map[string]int, open []*api.Node) {
	t.Helper()
	counts := make([]int, 0, len(open))
	zones := map[string]int{}
	for _, n := range open {
		counts = append(counts, on[n.Name])
		zones[n.Labels[labelZone]] += on[n.Name]
	}
	if lo, hi := slices.Min(counts), slices.Max(counts); hi-lo > 1 {
		t.Errorf("replicaset %s: %d to %d pods per node over %d nodes", set, lo, hi, len(open))
	}
	for _, z := range slices.Sorted(maps.Keys(zones)) {
		if zones[z] == 0 {
			t.Errorf("replicaset %s: no pod in zone %s (%v)", set, z, zones)
		}
	}
}

func scheduled(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodScheduled {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

func tolerates(p *api.Pod, taint api.Taint) bool {
	for _, tol := range p.Spec.Tolerations {
		if tol.Key == taint.Key && (tol.Effect == "" || tol.Effect == taint.Effect) &&
			(tol.Operator == "Exists" || tol.Value == taint.Value) {
			return true
		}
	}
	return false
}

func TestConfigRejectsWhatCannotFit(t *testing.T) {
	for _, tc := range []struct {
		nodes, pods int
		constraints bool
		want        string
	}{
		{0, 10, false, "nodes"},
		{MaxNodes + 1, 10, false, "nodes"},
		{10, 0, false, "pods"},
		{10, 1101, false, "do not fit"},
		{10, 1100, false, ""},
		{100, 11000, true, "pool-0"},    // 11 sets of 1000: pool-0 gets two, its 10 nodes hold 1100
		{100, 10000, true, ""},          // one set per pool
		{5, 200, true, "select pool-0"}, // one node per pool for the first five
		{5, 110, true, ""},
	} {
		cfg := DefaultConfig()
		cfg.Nodes, cfg.Pods, cfg.Constraints = tc.nodes, tc.pods, tc.constraints
		_, err := cfg.withDefaults()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d nodes, %d pods, constraints %v: %v, want %q", tc.nodes, tc.pods, tc.constraints, err, tc.want)
		}
	}
}
