package scheduler

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"testing"

	"github.com/wk-project/wk/control/api"
)

// TestProperties schedules random pods on random clusters and checks every decision against a
// plain re-statement of the rules, replayed in order: a placed pod passes every filter on its
// node at that point, and an unschedulable pod passes them on no node, for the reasons given.
// Then it checks the end state directly: no node over its allocatable cpu, memory or pods, no
// untolerated NoSchedule or NoExecute taint, no host port taken twice on a node.
func TestProperties(t *testing.T) {
	iterations := 400
	if testing.Short() {
		iterations = 50
	}
	rng := rand.New(rand.NewSource(1))
	for iter := range iterations {
		c := randomCluster(rng, 160)
		snap := NewSnapshot(c.nodes, c.bound)
		snap.PercentageOfNodesToScore = []int{0, 1, 30, 100}[rng.Intn(4)]
		ref := newReference(c.nodes, c.bound)
		for _, d := range Schedule(snap, c.pending, now) {
			if msg := ref.check(d); msg != "" {
				t.Fatalf("iteration %d (%d nodes), pod %s: %s", iter, len(c.nodes), d.Pod.Name, msg)
			}
		}
		for _, msg := range ref.invariants() {
			t.Errorf("iteration %d: %s", iter, msg)
		}
	}
}

type cluster struct {
	nodes   []*api.Node
	bound   []*api.Pod
	pending []*api.Pod
}

var (
	randomTaints = []api.Taint{
		{Key: "dedicated", Value: "gpu", Effect: api.TaintNoSchedule},
		{Key: "dedicated", Value: "db", Effect: api.TaintNoExecute},
		{Key: "spot", Effect: api.TaintNoSchedule},
		{Key: "old", Effect: api.TaintPreferNoSched},
	}
	randomTolerations = []api.Toleration{
		{Key: "dedicated", Operator: "Equal", Value: "gpu", Effect: api.TaintNoSchedule},
		{Key: "dedicated", Operator: "Exists"},
		{Key: "spot", Operator: "Exists", Effect: api.TaintNoExecute},
		{Key: "spot", Operator: "Equal", Effect: api.TaintNoSchedule},
		{Operator: "Exists"},
		{Key: TaintUnschedulable, Operator: "Exists", Effect: api.TaintNoSchedule},
	}
	randomExprs = []api.NodeSelectorRequirement{
		expr("disk", "In", "ssd", "nvme"),
		expr("disk", "NotIn", "hdd"),
		expr("disk", "Exists"),
		expr("disk", "DoesNotExist"),
		expr("cores", "Gt", "4"),
		expr("cores", "Lt", "8"),
	}
)

func randomCluster(rng *rand.Rand, maxNodes int) cluster {
	var c cluster
	n := 1 + rng.Intn(maxNodes)
	if rng.Intn(3) == 0 {
		n = 1 + rng.Intn(6)
	}
	free := map[string]resources{}
	for i := range n {
		nd := node(fmt.Sprintf("n%03d", i), alloc(
			strconv.Itoa(500*(1+rng.Intn(8)))+"m",
			strconv.Itoa(1+rng.Intn(8))+"Gi",
			strconv.Itoa(rng.Intn(12)),
		))
		if z := rng.Intn(4); z > 0 {
			nd.Labels[LabelZone] = string(rune('a' + z - 1))
		}
		if d := rng.Intn(4); d > 0 {
			nd.Labels["disk"] = []string{"ssd", "hdd", "nvme"}[d-1]
		}
		nd.Labels["cores"] = strconv.Itoa(2 * (1 + rng.Intn(6)))
		if rng.Intn(3) == 0 {
			nd.Labels[LabelRuntimeRunc] = "true"
		}
		if rng.Intn(10) == 0 {
			notReady(nd)
		}
		if rng.Intn(10) == 0 {
			cordoned(nd)
		}
		for range rng.Intn(3) {
			if rng.Intn(2) == 0 {
				nd.Spec.Taints = append(nd.Spec.Taints, randomTaints[rng.Intn(len(randomTaints))])
			}
		}
		c.nodes = append(c.nodes, nd)
		free[nd.Name] = allocatable(nd)
	}
	for i := range rng.Intn(3 * n) {
		p := randomPod(rng, fmt.Sprintf("bound-%d", i))
		nd := c.nodes[rng.Intn(n)]
		r, f := requestOf(&p.Spec), free[nd.Name]
		if r.cpu > f.cpu || r.mem > f.mem || f.pods < 1 || len(appendHostPorts(nil, &p.Spec)) > 0 {
			continue
		}
		free[nd.Name] = resources{cpu: f.cpu - r.cpu, mem: f.mem - r.mem, pods: f.pods - 1}
		p.Spec.NodeName = nd.Name
		c.bound = append(c.bound, p)
	}
	for i := range 1 + rng.Intn(300) {
		c.pending = append(c.pending, randomPod(rng, fmt.Sprintf("pod-%d", i)))
	}
	return c
}

func randomPod(rng *rand.Rand, name string) *api.Pod {
	var opts []podOpt
	if owner := rng.Intn(5); owner > 0 {
		opts = append(opts, ownedBy("rs"+strconv.Itoa(owner)))
	}
	cpu, mem := "", ""
	if rng.Intn(4) > 0 {
		cpu = strconv.Itoa(100*rng.Intn(20)) + "m"
	}
	if rng.Intn(4) > 0 {
		mem = strconv.Itoa(64*rng.Intn(40)) + "Mi"
	}
	opts = append(opts, requests(cpu, mem))
	if rng.Intn(5) == 0 {
		opts = append(opts, initContainer(resourceList(strconv.Itoa(500*rng.Intn(6))+"m", "")))
	}
	if rng.Intn(5) == 0 {
		opts = append(opts, nodeSelector("disk", []string{"ssd", "hdd"}[rng.Intn(2)]))
	}
	for range rng.Intn(3) {
		opts = append(opts, func(p *api.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, randomTolerations[rng.Intn(len(randomTolerations))])
		})
	}
	if rng.Intn(5) == 0 {
		terms := make([]api.NodeSelectorTerm, 1+rng.Intn(2))
		for i := range terms {
			terms[i] = term(randomExprs[rng.Intn(len(randomExprs))], randomExprs[rng.Intn(len(randomExprs))])
		}
		opts = append(opts, required(terms...))
	}
	if rng.Intn(8) == 0 {
		opts = append(opts, preferred(int32(1+rng.Intn(100)), term(randomExprs[rng.Intn(len(randomExprs))])))
	}
	if rng.Intn(5) == 0 {
		opts = append(opts, hostPorts([]int32{80, 443, 8080}[rng.Intn(3)]))
	}
	if rng.Intn(10) == 0 {
		opts = append(opts, runtimeClass(RuntimeRunc))
	}
	return pod(name, opts...)
}

// reference restates the filters plainly, over the api objects, with no caching or sampling.
type reference struct {
	nodes  []*api.Node
	pods   map[string][]*api.Pod // by node name
	placed map[*api.Pod]bool     // by the scheduler, not bound beforehand
}

func newReference(nodes []*api.Node, bound []*api.Pod) *reference {
	r := &reference{nodes: nodes, pods: map[string][]*api.Pod{}, placed: map[*api.Pod]bool{}}
	for _, p := range bound {
		r.pods[p.Spec.NodeName] = append(r.pods[p.Spec.NodeName], p)
	}
	return r
}

// check verifies one decision and records it.
func (r *reference) check(d Decision) string {
	if d.NodeName != "" {
		for _, n := range r.nodes {
			if n.Name == d.NodeName {
				if why := r.why(n, d.Pod); why != nil {
					return fmt.Sprintf("placed on %s, which fails: %v", n.Name, why)
				}
				r.pods[n.Name] = append(r.pods[n.Name], d.Pod)
				r.placed[d.Pod] = true
				return ""
			}
		}
		return "placed on unknown node " + d.NodeName
	}
	counts := map[string]int{}
	for _, n := range r.nodes {
		why := r.why(n, d.Pod)
		if why == nil {
			return fmt.Sprintf("unschedulable (%s) but fits %s", d.Reason, n.Name)
		}
		for _, w := range why {
			counts[w]++
		}
	}
	if want := fitMessage(len(r.nodes), counts); d.Reason != want {
		return fmt.Sprintf("reason %q, want %q", d.Reason, want)
	}
	return ""
}

// why lists why pod p cannot run on node n now; nil when it can.
func (r *reference) why(n *api.Node, p *api.Pod) []string {
	tol := func(key, value, effect string) bool {
		for _, t := range p.Spec.Tolerations {
			keyOK := t.Key == "" || t.Key == key
			effectOK := t.Effect == "" || t.Effect == effect
			valueOK := t.Operator == "Exists" || (t.Operator == "" || t.Operator == "Equal") && t.Value == value
			if keyOK && effectOK && valueOK {
				return true
			}
		}
		return false
	}
	ready := slices.ContainsFunc(n.Status.Conditions, func(c api.NodeCondition) bool { return c.Type == "Ready" && c.Status == "True" })
	if !ready && !tol(TaintNotReady, "", "NoSchedule") {
		return []string{"node(s) were not ready"}
	}
	if n.Spec.Unschedulable && !tol(TaintUnschedulable, "", "NoSchedule") {
		return []string{"node(s) were unschedulable"}
	}
	for _, t := range n.Spec.Taints {
		if (t.Effect == "NoSchedule" || t.Effect == "NoExecute") && !tol(t.Key, t.Value, t.Effect) {
			return []string{"node(s) had untolerated taint {" + t.Key + ": " + t.Value + "}"}
		}
	}
	if !refAffinity(n, p) {
		return []string{"node(s) didn't match Pod's node affinity/selector"}
	}
	if wantsRunc(&p.Spec) && n.Labels[LabelRuntimeRunc] != "true" {
		return []string{"node(s) didn't offer the runc runtime"}
	}
	var cpu, mem int64
	used := map[int32]bool{}
	for _, q := range r.pods[n.Name] {
		c, m := refRequests(q)
		cpu, mem = cpu+c, mem+m
		for _, port := range q.Spec.Containers[0].Ports {
			used[port.HostPort] = true
		}
	}
	for _, port := range p.Spec.Containers[0].Ports {
		if used[port.HostPort] {
			return []string{"node(s) didn't have free ports for the requested pod ports"}
		}
	}
	var out []string
	c, m := refRequests(p)
	a := n.Status.Allocatable
	if c > 0 && cpu+c > a["cpu"].MilliValue() {
		out = append(out, "Insufficient cpu")
	}
	if m > 0 && mem+m > a["memory"].Value() {
		out = append(out, "Insufficient memory")
	}
	if int64(len(r.pods[n.Name])+1) > a["pods"].Value() {
		out = append(out, "Too many pods")
	}
	return out
}

func refAffinity(n *api.Node, p *api.Pod) bool {
	for k, v := range p.Spec.NodeSelector {
		if n.Labels[k] != v {
			return false
		}
	}
	if p.Spec.Affinity == nil || p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	for _, t := range p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		all := len(t.MatchExpressions) > 0
		for _, e := range t.MatchExpressions {
			v, has := n.Labels[e.Key]
			cores, _ := strconv.Atoi(v)
			bound := 0
			if len(e.Values) > 0 {
				bound, _ = strconv.Atoi(e.Values[0])
			}
			ok := map[string]bool{
				"In":           has && slices.Contains(e.Values, v),
				"NotIn":        !has || !slices.Contains(e.Values, v),
				"Exists":       has,
				"DoesNotExist": !has,
				"Gt":           has && cores > bound,
				"Lt":           has && cores < bound,
			}[e.Operator]
			all = all && ok
		}
		if all {
			return true
		}
	}
	return false
}

func refRequests(p *api.Pod) (cpu, mem int64) {
	for _, c := range p.Spec.Containers {
		cpu += c.Resources.Requests["cpu"].MilliValue()
		mem += c.Resources.Requests["memory"].Value()
	}
	for _, c := range p.Spec.InitContainers {
		cpu = max(cpu, c.Resources.Requests["cpu"].MilliValue())
		mem = max(mem, c.Resources.Requests["memory"].Value())
	}
	return cpu, mem
}

// invariants checks the end state directly.
func (r *reference) invariants() []string {
	var errs []string
	for _, n := range r.nodes {
		pods := r.pods[n.Name]
		var cpu, mem int64
		ports := map[int32]string{}
		for _, p := range pods {
			c, m := refRequests(p)
			cpu, mem = cpu+c, mem+m
			for _, port := range p.Spec.Containers[0].Ports {
				if other, ok := ports[port.HostPort]; ok {
					errs = append(errs, fmt.Sprintf("node %s: host port %d given to %s and %s", n.Name, port.HostPort, other, p.Name))
				}
				ports[port.HostPort] = p.Name
			}
			for _, t := range n.Spec.Taints {
				if r.placed[p] && t.Effect != api.TaintPreferNoSched && !slices.ContainsFunc(p.Spec.Tolerations, func(tl api.Toleration) bool { return tolerates(&tl, &t) }) {
					errs = append(errs, fmt.Sprintf("node %s: pod %s does not tolerate %v", n.Name, p.Name, t))
				}
			}
		}
		a := n.Status.Allocatable
		if cpu > a["cpu"].MilliValue() || mem > a["memory"].Value() || int64(len(pods)) > a["pods"].Value() {
			errs = append(errs, fmt.Sprintf("node %s over allocatable: cpu %dm, memory %d, %d pods", n.Name, cpu, mem, len(pods)))
		}
	}
	return errs
}
