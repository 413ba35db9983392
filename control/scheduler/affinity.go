package scheduler

import (
	"slices"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// fieldNodeName is the one field a node selector term's matchFields may name.
const fieldNodeName = "metadata.name"

// nodeSelectorMatches reports whether a node matches a required node affinity: any term matches
// (terms are ORed), and a term matches when all its expressions and fields do (they are ANDed).
// A term with neither matches nothing, and so does a selector with no terms.
func nodeSelectorMatches(ns *api.NodeSelector, n *nodeFacts) bool {
	for i := range ns.NodeSelectorTerms {
		if termMatches(&ns.NodeSelectorTerms[i], n) {
			return true
		}
	}
	return false
}

func termMatches(t *api.NodeSelectorTerm, n *nodeFacts) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false
	}
	for i := range t.MatchExpressions {
		if !exprMatches(&t.MatchExpressions[i], n.labels) {
			return false
		}
	}
	for i := range t.MatchFields {
		if !fieldMatches(&t.MatchFields[i], n.name) {
			return false
		}
	}
	return true
}

// exprMatches evaluates one requirement against node labels. An unknown operator, or Gt and Lt on
// a value that is not an integer, matches nothing.
func exprMatches(r *api.NodeSelectorRequirement, labels map[string]string) bool {
	v, ok := labels[r.Key]
	switch r.Operator {
	case "In":
		return ok && slices.Contains(r.Values, v)
	case "NotIn":
		return !ok || !slices.Contains(r.Values, v)
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
		if err1 != nil || err2 != nil {
			return false
		}
		return r.Operator == "Gt" && have > want || r.Operator == "Lt" && have < want
	}
	return false
}

// fieldMatches evaluates a matchFields requirement: metadata.name with In or NotIn.
func fieldMatches(r *api.NodeSelectorRequirement, name string) bool {
	if r.Key != fieldNodeName {
		return false
	}
	switch r.Operator {
	case "In":
		return slices.Contains(r.Values, name)
	case "NotIn":
		return !slices.Contains(r.Values, name)
	}
	return false
}

// namedNodes returns the node names a required node affinity is limited to, when every term
// requires metadata.name In (...), as a DaemonSet's pods do; ok is false when it is not so
// limited. It lets such pods skip the other nodes outright.
func namedNodes(ns *api.NodeSelector) (names []string, ok bool) {
	if ns == nil || len(ns.NodeSelectorTerms) == 0 {
		return nil, false
	}
	for _, t := range ns.NodeSelectorTerms {
		i := slices.IndexFunc(t.MatchFields, func(r api.NodeSelectorRequirement) bool {
			return r.Key == fieldNodeName && r.Operator == "In"
		})
		if i < 0 {
			return nil, false
		}
		names = append(names, t.MatchFields[i].Values...)
	}
	return names, true
}

// preferenceOf sums the weights of the preferred node affinity terms a node matches.
func preferenceOf(terms []api.PreferredSchedulingTerm, n *nodeFacts) int64 {
	var sum int64
	for i := range terms {
		if termMatches(&terms[i].Preference, n) {
			sum += int64(terms[i].Weight)
		}
	}
	return sum
}
