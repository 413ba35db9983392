package scheduler

import (
	"time"

	"github.com/wk-project/wk/control/api"
)

// Decision is where one pod should run.
type Decision struct {
	Pod      *api.Pod
	NodeName string // "" when the pod fits nowhere
	// Reason says why, when NodeName is "", as kube-scheduler's FitError does:
	// "0/5 nodes are available: 3 Insufficient memory, 2 node(s) were unschedulable."
	Reason string
}

// Schedule places pods one after the other, in order, and returns one Decision per pod, in the
// same order. Each placement is recorded in snap, so later pods see it. It does no I/O and is
// deterministic: equal snapshots and pods give equal decisions.
//
// A pod that already names a node is passed through (its Decision names that node) and is not
// recorded: give it to NewSnapshot instead. A pod being deleted is not placed.
//
// now is the time of the round, so that Schedule never reads a clock; no rule depends on it yet.
func Schedule(snap *Snapshot, pods []*api.Pod, now time.Time) []Decision {
	out := make([]Decision, len(pods))
	for i, p := range pods {
		out[i] = snap.scheduleOne(p)
	}
	return out
}

// Messages for pods that are not filtered at all.
const (
	reasonNoNodes  = "no nodes available to schedule pods"
	reasonDeleting = "pod is being deleted"
)

func (s *Snapshot) scheduleOne(p *api.Pod) Decision {
	switch {
	case p.Spec.NodeName != "":
		return Decision{Pod: p, NodeName: p.Spec.NodeName}
	case p.DeletionTimestamp != nil:
		return Decision{Pod: p, Reason: reasonDeleting}
	case len(s.nodes) == 0:
		return Decision{Pod: p, Reason: reasonNoNodes}
	}
	sig := s.signatureOf(&p.Spec)
	r := requestOf(&p.Spec)
	s.want = appendHostPorts(s.want[:0], &p.Spec)
	var own *spread
	if uid := controllerUID(p); uid != "" {
		own = s.ownerOf(uid)
	}
	if reason, ok := s.remembered(sig, &r); ok {
		return Decision{Pod: p, Reason: reason}
	}
	i := s.pick(sig, &r, own)
	if i < 0 {
		return Decision{Pod: p, Reason: s.explain(sig, &r)}
	}
	s.place(i, &r, own)
	return Decision{Pod: p, NodeName: s.nodes[i].name}
}
