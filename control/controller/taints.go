package controller

import (
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// Taints the node lifecycle controller sets, as Kubernetes names them.
const (
	taintUnreachable   = "node.kubernetes.io/unreachable"
	taintNotReady      = "node.kubernetes.io/not-ready"
	taintUnschedulable = "node.kubernetes.io/unschedulable"
)

// toleration returns the first of ts that tolerates taint, or nil: the effect matches (or the
// toleration names none), the key matches (or it names none), and the operator is Exists or Equal
// with an equal value.
func toleration(ts []api.Toleration, taint *api.Taint) *api.Toleration {
	for i := range ts {
		t := &ts[i]
		if t.Effect != "" && t.Effect != taint.Effect || t.Key != "" && t.Key != taint.Key {
			continue
		}
		if t.Operator == "Exists" || (t.Operator == "" || t.Operator == "Equal") && t.Value == taint.Value {
			return t
		}
	}
	return nil
}

// nodeMatches reports whether a node satisfies a pod's nodeSelector and required node affinity.
func nodeMatches(spec *api.PodSpec, n *api.Node) bool {
	for k, v := range spec.NodeSelector {
		if n.Labels[k] != v {
			return false
		}
	}
	if spec.Affinity == nil || spec.Affinity.NodeAffinity == nil || spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	for _, term := range spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if termMatches(&term, n) {
			return true
		}
	}
	return false
}

func termMatches(t *api.NodeSelectorTerm, n *api.Node) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false
	}
	for _, r := range t.MatchExpressions {
		if !requirementMatches(&r, n.Labels) {
			return false
		}
	}
	for _, r := range t.MatchFields {
		if r.Key != "metadata.name" || !requirementMatches(&r, map[string]string{r.Key: n.Name}) {
			return false
		}
	}
	return true
}

func requirementMatches(r *api.NodeSelectorRequirement, labels map[string]string) bool {
	v, ok := labels[r.Key]
	switch r.Operator {
	case "In", "NotIn":
		in := false
		for _, x := range r.Values {
			in = in || ok && x == v
		}
		return in == (r.Operator == "In")
	case "Exists":
		return ok
	case "DoesNotExist":
		return !ok
	case "Gt", "Lt":
		if !ok || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		return err1 == nil && err2 == nil && (r.Operator == "Gt" && have > want || r.Operator == "Lt" && have < want)
	}
	return false
}
