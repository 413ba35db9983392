package scheduler

import (
	"maps"
	"slices"

	"github.com/wk-project/wk/control/api"
)

// signature is what the static filters and static scores read of a pod: its nodeSelector, node
// affinity, tolerations and runtime. Pods of one template share one, so its statically feasible
// nodes are found once per snapshot. A signature keeps its own copies of the pod's fields.
type signature struct {
	selector       map[string]string
	required       *api.NodeSelector
	preferred      []api.PreferredSchedulingTerm
	tolerations    []api.Toleration
	runc           bool
	ignoreNotReady bool // tolerates node.kubernetes.io/not-ready:NoSchedule
	ignoreCordon   bool // tolerates node.kubernetes.io/unschedulable:NoSchedule

	nodes []int32 // statically feasible nodes, in scan order
	pref  []int64 // per entry of nodes: weight of matched preferred terms; nil when all zero
	avoid []int64 // per entry of nodes: untolerated PreferNoSchedule taints; nil when all zero
	next  int     // where the next scan of nodes starts

	unfit     [4]unfit // the last unschedulable answers, reused while nothing has been placed since
	nextUnfit int      // the entry of unfit to overwrite next
}

// unfit remembers why a pod did not fit, for the next identical pod.
type unfit struct {
	valid  bool
	placed int // Snapshot.placed when it was computed
	req    podRequest
	reason string
}

// sigCache finds a pod's signature: pods without constraints share one, the others are found by
// a hash of their constraints and an equality check.
type sigCache struct {
	plain  *signature
	byHash map[uint64][]*signature
}

func (s *Snapshot) signatureOf(spec *api.PodSpec) *signature {
	if unconstrained(spec) {
		if s.sigs.plain == nil {
			s.sigs.plain = s.newSignature(spec)
		}
		return s.sigs.plain
	}
	h := hashSignature(spec)
	for _, sig := range s.sigs.byHash[h] {
		if sig.equal(spec) {
			return sig
		}
	}
	sig := s.newSignature(spec)
	s.sigs.byHash[h] = append(s.sigs.byHash[h], sig)
	return sig
}

func unconstrained(spec *api.PodSpec) bool {
	return len(spec.NodeSelector) == 0 && requiredOf(spec) == nil && len(preferredOf(spec)) == 0 &&
		len(spec.Tolerations) == 0 && !wantsRunc(spec)
}

func requiredOf(spec *api.PodSpec) *api.NodeSelector {
	if spec.Affinity == nil || spec.Affinity.NodeAffinity == nil {
		return nil
	}
	return spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
}

func preferredOf(spec *api.PodSpec) []api.PreferredSchedulingTerm {
	if spec.Affinity == nil || spec.Affinity.NodeAffinity == nil {
		return nil
	}
	return spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
}

func wantsRunc(spec *api.PodSpec) bool {
	return spec.RuntimeClassName != nil && *spec.RuntimeClassName == RuntimeRunc
}

// newSignature copies the pod's constraints and finds the nodes that pass the static filters.
func (s *Snapshot) newSignature(spec *api.PodSpec) *signature {
	sig := &signature{
		selector:    maps.Clone(spec.NodeSelector),
		required:    cloneNodeSelector(requiredOf(spec)),
		preferred:   clonePreferred(preferredOf(spec)),
		tolerations: slices.Clone(spec.Tolerations),
		runc:        wantsRunc(spec),
	}
	sig.ignoreNotReady = tolerated(sig.tolerations, &api.Taint{Key: TaintNotReady, Effect: api.TaintNoSchedule})
	sig.ignoreCordon = tolerated(sig.tolerations, &api.Taint{Key: TaintUnschedulable, Effect: api.TaintNoSchedule})
	for _, i := range s.candidatesFor(sig) {
		n := &s.nodes[i]
		if f, _ := sig.staticCheck(n); f != passes {
			continue
		}
		sig.nodes = append(sig.nodes, i)
		sig.pref = appendNonZero(sig.pref, len(sig.nodes)-1, preferenceOf(sig.preferred, n))
		sig.avoid = appendNonZero(sig.avoid, len(sig.nodes)-1, int64(countUntolerated(sig.tolerations, n.preferAvoid)))
	}
	return sig
}

// candidatesFor returns the nodes worth checking, in scan order: all of them, or only those a
// required affinity names by metadata.name.
func (s *Snapshot) candidatesFor(sig *signature) []int32 {
	names, ok := namedNodes(sig.required)
	if !ok {
		return s.all
	}
	var idx []int32
	for _, name := range names {
		if i, ok := s.byName[name]; ok {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	return slices.Compact(idx)
}

// appendNonZero sets xs[at] = v, keeping xs nil while every value is zero.
func appendNonZero(xs []int64, at int, v int64) []int64 {
	if xs == nil && v == 0 {
		return nil
	}
	if xs == nil {
		xs = make([]int64, at, at+1)
	}
	return append(xs, v)
}
