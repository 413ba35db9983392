package node

import "github.com/wk-project/wk/control/api"

// diffPods compares the pods bound to this node with the pods it runs: it returns the pods to
// start and the UIDs of the ones to stop. A pod being deleted is stopped; a pod that already
// finished (Succeeded or Failed) is not started again.
func diffPods(desired map[string]*api.Pod, running map[string]bool) (start []*api.Pod, stop []string) {
	for uid, p := range desired {
		if !running[uid] && runnable(p) {
			start = append(start, p)
		}
	}
	for uid := range running {
		if p, ok := desired[uid]; !ok || p.DeletionTimestamp != nil {
			stop = append(stop, uid)
		}
	}
	return start, stop
}

// runnable reports whether a pod is to run: it is not being deleted and has not ended.
func runnable(p *api.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed
}
