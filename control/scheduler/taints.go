package scheduler

import "github.com/wk-project/wk/control/api"

// tolerates reports whether toleration t tolerates taint, as Kubernetes' ToleratesTaint: the
// effect matches (or t names none), the key matches (or t names none), and the operator is Exists
// or Equal (the default) with an equal value.
func tolerates(t *api.Toleration, taint *api.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", "Equal":
		return t.Value == taint.Value
	case "Exists":
		return true
	}
	return false
}

// tolerated reports whether any of ts tolerates taint.
func tolerated(ts []api.Toleration, taint *api.Taint) bool {
	for i := range ts {
		if tolerates(&ts[i], taint) {
			return true
		}
	}
	return false
}

// firstUntolerated returns the first of taints that ts does not tolerate, or nil.
func firstUntolerated(ts []api.Toleration, taints []api.Taint) *api.Taint {
	for i := range taints {
		if !tolerated(ts, &taints[i]) {
			return &taints[i]
		}
	}
	return nil
}

// countUntolerated counts the taints that ts does not tolerate.
func countUntolerated(ts []api.Toleration, taints []api.Taint) int {
	n := 0
	for i := range taints {
		if !tolerated(ts, &taints[i]) {
			n++
		}
	}
	return n
}
