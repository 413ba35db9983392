package scheduler

import "github.com/wk-project/wk/control/api"

// failure says which filter rejected a node. The resource filter may give several at once.
type failure uint8

const (
	passes failure = iota
	failNotReady
	failUnschedulable
	failTaint
	failAffinity
	failRuntime
	failPorts
	failCPU
	failMemory
	failPods
	numFailures
)

// reasonText is each failure in kube-scheduler's words; a taint's is a format of its key and value.
var reasonText = [numFailures]string{
	failNotReady:      "node(s) were not ready",
	failUnschedulable: "node(s) were unschedulable",
	failTaint:         "node(s) had untolerated taint {%s: %s}",
	failAffinity:      "node(s) didn't match Pod's node affinity/selector",
	failRuntime:       "node(s) didn't offer the runc runtime",
	failPorts:         "node(s) didn't have free ports for the requested pod ports",
	failCPU:           "Insufficient cpu",
	failMemory:        "Insufficient memory",
	failPods:          "Too many pods",
}

// staticCheck runs the filters that depend only on the node and the pod's signature, in order,
// and returns the first that fails (and, for a taint, the taint), or passes.
func (sig *signature) staticCheck(n *nodeFacts) (failure, *api.Taint) {
	if !n.ready && !sig.ignoreNotReady {
		return failNotReady, nil
	}
	if n.unschedulable && !sig.ignoreCordon {
		return failUnschedulable, nil
	}
	if t := firstUntolerated(sig.tolerations, n.taints); t != nil {
		return failTaint, t
	}
	if !selectorMatches(sig.selector, n.labels) || sig.required != nil && !nodeSelectorMatches(sig.required, n) {
		return failAffinity, nil
	}
	if sig.runc && !n.runc {
		return failRuntime, nil
	}
	return passes, nil
}

// selectorMatches reports whether labels carry every pair of a pod's spec.nodeSelector.
func selectorMatches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if w, ok := labels[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// lack is a set of resources a node is short of.
type lack uint8

const (
	lackCPU lack = 1 << iota
	lackMemory
	lackPods
)

// shortOf returns the resources that free lacks for r, as kube-scheduler's NodeResourcesFit: one
// more pod must fit, and a resource is checked only when the pod requests some of it.
func shortOf(free *resources, r *podRequest) lack {
	var l lack
	if free.pods < 1 {
		l |= lackPods
	}
	if r.cpu > 0 && r.cpu > free.cpu {
		l |= lackCPU
	}
	if r.mem > 0 && r.mem > free.mem {
		l |= lackMemory
	}
	return l
}
