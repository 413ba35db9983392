package scheduler

import (
	"maps"
	"slices"

	"github.com/wk-project/wk/control/api"
)

// hasher is 64-bit FNV-1a; it only finds candidate signatures, equal() decides.
type hasher uint64

const (
	fnvOffset hasher = 14695981039346656037
	fnvPrime  hasher = 1099511628211
)

func (h hasher) str(s string) hasher {
	for i := 0; i < len(s); i++ {
		h = (h ^ hasher(s[i])) * fnvPrime
	}
	return (h ^ 0xff) * fnvPrime // a terminator keeps ("ab","c") and ("a","bc") apart
}

func (h hasher) num(v int) hasher { return (h ^ hasher(v)) * fnvPrime }

// hashSignature hashes the fields equal() compares. It allocates nothing.
func hashSignature(spec *api.PodSpec) uint64 {
	h := fnvOffset
	var sel hasher // map order is random: combine the pairs' hashes with a sum
	for k, v := range spec.NodeSelector {
		sel += fnvOffset.str(k).str(v)
	}
	h = h.num(int(sel))
	if req := requiredOf(spec); req != nil {
		h = h.num(1).num(len(req.NodeSelectorTerms))
		for i := range req.NodeSelectorTerms {
			h = hashTerm(h, &req.NodeSelectorTerms[i])
		}
	}
	for _, p := range preferredOf(spec) {
		h = hashTerm(h.num(int(p.Weight)), &p.Preference)
	}
	h = h.num(len(spec.Tolerations))
	for _, t := range spec.Tolerations {
		h = h.str(t.Key).str(t.Operator).str(t.Value).str(t.Effect)
	}
	if wantsRunc(spec) {
		h = h.num(2)
	}
	return uint64(h)
}

func hashTerm(h hasher, t *api.NodeSelectorTerm) hasher {
	h = hashRequirements(h.num(len(t.MatchExpressions)), t.MatchExpressions)
	return hashRequirements(h.num(len(t.MatchFields)), t.MatchFields)
}

func hashRequirements(h hasher, rs []api.NodeSelectorRequirement) hasher {
	for _, r := range rs {
		h = h.str(r.Key).str(r.Operator).num(len(r.Values))
		for _, v := range r.Values {
			h = h.str(v)
		}
	}
	return h
}

// equal reports whether a pod's constraints are the signature's.
func (sig *signature) equal(spec *api.PodSpec) bool {
	req := requiredOf(spec)
	return sig.runc == wantsRunc(spec) &&
		maps.Equal(sig.selector, spec.NodeSelector) &&
		(sig.required == nil) == (req == nil) &&
		(req == nil || slices.EqualFunc(sig.required.NodeSelectorTerms, req.NodeSelectorTerms, termEqual)) &&
		slices.EqualFunc(sig.preferred, preferredOf(spec), func(a, b api.PreferredSchedulingTerm) bool {
			return a.Weight == b.Weight && termEqual(a.Preference, b.Preference)
		}) &&
		slices.EqualFunc(sig.tolerations, spec.Tolerations, func(a, b api.Toleration) bool {
			return a.Key == b.Key && a.Operator == b.Operator && a.Value == b.Value && a.Effect == b.Effect
		})
}

func termEqual(a, b api.NodeSelectorTerm) bool {
	return slices.EqualFunc(a.MatchExpressions, b.MatchExpressions, requirementEqual) &&
		slices.EqualFunc(a.MatchFields, b.MatchFields, requirementEqual)
}

func requirementEqual(a, b api.NodeSelectorRequirement) bool {
	return a.Key == b.Key && a.Operator == b.Operator && slices.Equal(a.Values, b.Values)
}

func cloneNodeSelector(ns *api.NodeSelector) *api.NodeSelector {
	if ns == nil {
		return nil
	}
	c := &api.NodeSelector{NodeSelectorTerms: make([]api.NodeSelectorTerm, len(ns.NodeSelectorTerms))}
	for i, t := range ns.NodeSelectorTerms {
		c.NodeSelectorTerms[i] = cloneTerm(t)
	}
	return c
}

func clonePreferred(ps []api.PreferredSchedulingTerm) []api.PreferredSchedulingTerm {
	if ps == nil {
		return nil
	}
	c := make([]api.PreferredSchedulingTerm, len(ps))
	for i, p := range ps {
		c[i] = api.PreferredSchedulingTerm{Weight: p.Weight, Preference: cloneTerm(p.Preference)}
	}
	return c
}

func cloneTerm(t api.NodeSelectorTerm) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{
		MatchExpressions: cloneRequirements(t.MatchExpressions),
		MatchFields:      cloneRequirements(t.MatchFields),
	}
}

func cloneRequirements(rs []api.NodeSelectorRequirement) []api.NodeSelectorRequirement {
	if rs == nil {
		return nil
	}
	c := make([]api.NodeSelectorRequirement, len(rs))
	for i, r := range rs {
		c[i] = api.NodeSelectorRequirement{Key: r.Key, Operator: r.Operator, Values: slices.Clone(r.Values)}
	}
	return c
}
