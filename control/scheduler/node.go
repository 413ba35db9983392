package scheduler

import "github.com/wk-project/wk/control/api"

// Well-known labels and taint keys the scheduler reads.
const (
	LabelZone        = "topology.kubernetes.io/zone"
	LabelRuntimeRunc = "wk.io/runtime-runc"
	RuntimeRunc      = "runc"

	// A pod that tolerates these taints (effect NoSchedule) may land on a node that is not Ready
	// or is cordoned, as in Kubernetes, where the node lifecycle controller sets them.
	TaintNotReady      = "node.kubernetes.io/not-ready"
	TaintUnschedulable = "node.kubernetes.io/unschedulable"
)

// nodeFacts is what the filters and scores need of a node and what does not change while a
// snapshot lives.
type nodeFacts struct {
	name          string
	labels        map[string]string
	taints        []api.Taint // NoSchedule and NoExecute only
	preferAvoid   []api.Taint // PreferNoSchedule
	ready         bool
	unschedulable bool
	runc          bool
	zone          int32 // index into Snapshot.zones; -1 without a zone label
	alloc         resources
}

// resources are amounts of the resources the scheduler tracks.
type resources struct {
	cpu  int64 // millicores
	mem  int64 // bytes
	pods int64
}

func newNodeFacts(n *api.Node) nodeFacts {
	f := nodeFacts{
		name:          n.Name,
		labels:        n.Labels,
		unschedulable: n.Spec.Unschedulable,
		runc:          n.Labels[LabelRuntimeRunc] == "true",
		zone:          -1,
		alloc:         allocatable(n),
	}
	if c := n.Condition(api.NodeReady); c != nil && c.Status == api.ConditionTrue {
		f.ready = true
	}
	for _, t := range n.Spec.Taints {
		switch t.Effect {
		case api.TaintNoSchedule, api.TaintNoExecute:
			f.taints = append(f.taints, t)
		case api.TaintPreferNoSched:
			f.preferAvoid = append(f.preferAvoid, t)
		}
	}
	return f
}

// allocatable reads status.allocatable, falling back per resource to status.capacity as
// Kubernetes' API defaults do when a node reports no allocatable.
func allocatable(n *api.Node) resources {
	get := func(name string) (api.Quantity, bool) {
		if q, ok := n.Status.Allocatable[name]; ok {
			return q, true
		}
		q, ok := n.Status.Capacity[name]
		return q, ok
	}
	var r resources
	if q, ok := get("cpu"); ok {
		r.cpu = q.MilliValue()
	}
	if q, ok := get("memory"); ok {
		r.mem = q.Value()
	}
	if q, ok := get("pods"); ok {
		r.pods = q.Value()
	}
	return r
}
