package scheduler

import (
	"strconv"
	"time"

	"github.com/wk-project/wk/control/api"
)

var now = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

type nodeOpt func(*api.Node)

// node makes a Ready node with 4 cpus, 8Gi and room for 110 pods.
func node(name string, opts ...nodeOpt) *api.Node {
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{}}}
	n.Status.Allocatable = api.ResourceList{
		"cpu": api.MustParseQuantity("4"), "memory": api.MustParseQuantity("8Gi"), "pods": api.MustParseQuantity("110"),
	}
	n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func alloc(cpu, mem, pods string) nodeOpt {
	return func(n *api.Node) {
		n.Status.Allocatable = api.ResourceList{}
		for k, v := range map[string]string{"cpu": cpu, "memory": mem, "pods": pods} {
			if v != "" {
				n.Status.Allocatable[k] = api.MustParseQuantity(v)
			}
		}
	}
}

func label(k, v string) nodeOpt { return func(n *api.Node) { n.Labels[k] = v } }

func zone(z string) nodeOpt { return label(LabelZone, z) }

func taint(key, value, effect string) nodeOpt {
	return func(n *api.Node) {
		n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: key, Value: value, Effect: effect})
	}
}

func cordoned(n *api.Node) { n.Spec.Unschedulable = true }

func notReady(n *api.Node) { n.Status.Conditions[0].Status = api.ConditionFalse }

type podOpt func(*api.Pod)

// pod makes a pending pod with one container and no requests; its UID is its name.
func pod(name string, opts ...podOpt) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: name}}
	p.Spec.Containers = []api.Container{{Name: "main", Image: "./app.wasm"}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func requests(cpu, mem string) podOpt {
	return func(p *api.Pod) { p.Spec.Containers[0].Resources.Requests = resourceList(cpu, mem) }
}

func resourceList(cpu, mem string) api.ResourceList {
	rl := api.ResourceList{}
	if cpu != "" {
		rl["cpu"] = api.MustParseQuantity(cpu)
	}
	if mem != "" {
		rl["memory"] = api.MustParseQuantity(mem)
	}
	return rl
}

func ownedBy(uid string) podOpt {
	return func(p *api.Pod) {
		yes := true
		p.OwnerReferences = []api.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: uid, UID: uid, Controller: &yes}}
	}
}

func boundTo(node string) podOpt { return func(p *api.Pod) { p.Spec.NodeName = node } }

func hostPorts(ports ...int32) podOpt {
	return func(p *api.Pod) {
		for _, port := range ports {
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, api.ContainerPort{ContainerPort: 8080, HostPort: port})
		}
	}
}

func nodeSelector(kv ...string) podOpt {
	return func(p *api.Pod) {
		p.Spec.NodeSelector = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			p.Spec.NodeSelector[kv[i]] = kv[i+1]
		}
	}
}

func tolerate(key, op, value, effect string) podOpt {
	return func(p *api.Pod) {
		p.Spec.Tolerations = append(p.Spec.Tolerations, api.Toleration{Key: key, Operator: op, Value: value, Effect: effect})
	}
}

func required(terms ...api.NodeSelectorTerm) podOpt {
	return func(p *api.Pod) {
		p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: terms},
		}}
	}
}

func preferred(weight int32, term api.NodeSelectorTerm) podOpt {
	return func(p *api.Pod) {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{}}
		}
		na := p.Spec.Affinity.NodeAffinity
		na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution,
			api.PreferredSchedulingTerm{Weight: weight, Preference: term})
	}
}

func expr(key, op string, values ...string) api.NodeSelectorRequirement {
	return api.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

func term(exprs ...api.NodeSelectorRequirement) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchExpressions: exprs}
}

func fieldTerm(exprs ...api.NodeSelectorRequirement) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchFields: exprs}
}

func runtimeClass(name string) podOpt { return func(p *api.Pod) { p.Spec.RuntimeClassName = &name } }

// replicas makes n pods of one owner.
func replicas(owner string, n int, opts ...podOpt) []*api.Pod {
	pods := make([]*api.Pod, n)
	for i := range pods {
		pods[i] = pod(owner+"-"+strconv.Itoa(i), append([]podOpt{ownedBy(owner)}, opts...)...)
	}
	return pods
}

// placements counts decisions per node name ("" for unschedulable).
func placements(ds []Decision) map[string]int {
	m := map[string]int{}
	for _, d := range ds {
		m[d.NodeName]++
	}
	return m
}
