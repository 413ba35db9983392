package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/wk-project/wk/control/api"
)

// markPodsNotReady sets the Ready condition of the pods of an unreachable node to False, as
// Kubernetes does, so that nothing counts on them while they wait for eviction.
func (nl *nodeLifecycle) markPodsNotReady(ctx context.Context, n *api.Node, now time.Time) error {
	for _, o := range nl.pods.ByIndex(indexNode, n.Name) {
		p := o.(*api.Pod)
		if !isPodReady(p) || !isPodActive(p) {
			continue
		}
		cp := *p
		cp.Status.Conditions = append([]api.PodCondition(nil), p.Status.Conditions...)
		for i := range cp.Status.Conditions {
			if c := &cp.Status.Conditions[i]; c.Type == api.PodReady || c.Type == api.ContainersReady {
				c.Status, c.LastTransitionTime = api.ConditionFalse, api.NewTime(now)
			}
		}
		out, err := nl.c.UpdateStatus(ctx, &cp)
		if err != nil && !api.IsNotFound(err) {
			return fmt.Errorf("mark pod %s of unreachable node %s not ready: %w", p.Name, n.Name, err)
		}
		if err == nil {
			nl.pods.Observe(out)
		}
	}
	return nil
}

// silent reports whether the node missed its heartbeats or was declared dead since the last one.
// The grace period runs from when this controller first saw the node's latest heartbeat, not from
// the heartbeat's own time: a controller that starts (or comes back after the control plane was
// away) gives every node a full grace period to report before it calls it silent.
func (nl *nodeLifecycle) silent(n *api.Node, now time.Time) bool {
	last := lastHeartbeat(n)
	nl.mu.Lock()
	defer nl.mu.Unlock()
	h := nl.health[n.Name]
	if h.probe.IsZero() || !h.heartbeat.Equal(last) {
		h.heartbeat, h.probe = last, now
	}
	if !h.deadAt.IsZero() && last.After(h.deadAt) {
		h.deadAt = time.Time{}
	}
	nl.health[n.Name] = h
	return !h.deadAt.IsZero() || now.Sub(h.probe) > nl.grace
}

// lastHeartbeat is the node's latest heartbeat by its own clock: its Ready condition's, or its
// creation for a node that has not reported yet.
func lastHeartbeat(n *api.Node) time.Time {
	last := n.CreationTimestamp.Time
	if r := n.Condition(api.NodeReady); r != nil && r.LastHeartbeatTime.After(last) {
		last = r.LastHeartbeatTime.Time
	}
	return last
}

// markUnknown sets every condition of a silent node to Unknown, as Kubernetes does.
func (nl *nodeLifecycle) markUnknown(ctx context.Context, n *api.Node, now time.Time) (*api.Node, error) {
	if r := n.Condition(api.NodeReady); r != nil && r.Status == api.ConditionUnknown {
		return n, nil
	}
	cp := deepCopy(n)
	if cp.Condition(api.NodeReady) == nil {
		cp.Status.Conditions = append(cp.Status.Conditions, api.NodeCondition{Type: api.NodeReady})
	}
	for i := range cp.Status.Conditions {
		c := &cp.Status.Conditions[i]
		if c.Status != api.ConditionUnknown {
			c.LastTransitionTime = api.NewTime(now)
		}
		c.Status, c.Reason, c.Message = api.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
	}
	out, err := nl.c.UpdateStatus(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("mark node %s unknown: %w", n.Name, err)
	}
	nl.nodes.Observe(out)
	nl.ev.normal(n, "NodeNotReady", "Node %s status is now: NodeNotReady", n.Name)
	return out.(*api.Node), nil
}

// evictPods deletes the pods that have stayed too long on a node with NoExecute taints, and
// schedules a recheck for those that may stay a while more.
func (nl *nodeLifecycle) evictPods(ctx context.Context, n *api.Node, now time.Time) error {
	var noExec []*api.Taint
	for i := range n.Spec.Taints {
		if n.Spec.Taints[i].Effect == api.TaintNoExecute {
			noExec = append(noExec, &n.Spec.Taints[i])
		}
	}
	nl.forgetTaints(n, noExec)
	if len(noExec) == 0 {
		return nil
	}
	var next time.Duration
	for _, o := range nl.pods.ByIndex(indexNode, n.Name) {
		p := o.(*api.Pod)
		at, ok := nl.evictionTime(n, noExec, p)
		if !ok || !isPodActive(p) {
			continue
		}
		if wait := at.Sub(now); wait > 0 {
			if next == 0 || wait < next {
				next = wait
			}
			continue
		}
		if err := deletePod(ctx, nl.c, nl.pods, p); err != nil {
			return fmt.Errorf("evict pod %s from node %s: %w", p.Name, n.Name, err)
		}
		nl.ev.normal(p, "TaintManagerEviction", "Marking for deletion Pod %s/%s", p.Namespace, p.Name)
	}
	if next > 0 {
		nl.queue.AddAfter(n.Name, next)
	}
	return nil
}

// evictionTime is when p must leave a node with these NoExecute taints: the eviction timeout
// after a taint it does not tolerate, or tolerationSeconds after one it tolerates for a while.
// ok is false when it tolerates them all for ever.
func (nl *nodeLifecycle) evictionTime(n *api.Node, taints []*api.Taint, p *api.Pod) (at time.Time, ok bool) {
	for _, t := range taints {
		stay := nl.evict
		if tol := toleration(p.Spec.Tolerations, t); tol != nil {
			if tol.TolerationSeconds == nil {
				continue
			}
			stay = time.Duration(max(*tol.TolerationSeconds, 0)) * time.Second
		}
		when := nl.taintStart(n, t).Add(stay)
		if !ok || when.Before(at) {
			at, ok = when, true
		}
	}
	return at, ok
}

// taintStart is when this controller first saw a taint on the node (or put it there). As in
// Kubernetes' taint manager, a taint found at start, after the control plane was away, counts
// from then, not from its timeAdded: the nodes get the time to report again before their pods go.
func (nl *nodeLifecycle) taintStart(n *api.Node, t *api.Taint) time.Time {
	nl.mu.Lock()
	at, ok := nl.taintAt[n.Name][t.Key]
	nl.mu.Unlock()
	if ok {
		return at
	}
	at = nl.now()
	nl.rememberTaint(n.Name, t.Key, at)
	return at
}

func (nl *nodeLifecycle) rememberTaint(node, key string, at time.Time) {
	nl.mu.Lock()
	defer nl.mu.Unlock()
	if nl.taintAt[node] == nil {
		nl.taintAt[node] = map[string]time.Time{}
	}
	nl.taintAt[node][key] = at
}

// forgetTaints drops the remembered start of taints the node no longer has.
func (nl *nodeLifecycle) forgetTaints(n *api.Node, current []*api.Taint) {
	nl.mu.Lock()
	defer nl.mu.Unlock()
	for key := range nl.taintAt[n.Name] {
		found := false
		for _, t := range current {
			found = found || t.Key == key
		}
		if !found {
			delete(nl.taintAt[n.Name], key)
		}
	}
	if len(nl.taintAt[n.Name]) == 0 {
		delete(nl.taintAt, n.Name)
	}
}

// nodeGone deletes the pods bound to a node that no longer exists, once the API server confirms
// that it does not.
func (nl *nodeLifecycle) nodeGone(ctx context.Context, name string) error {
	nl.mu.Lock()
	delete(nl.health, name)
	delete(nl.taintAt, name)
	nl.mu.Unlock()
	pods := nl.pods.ByIndex(indexNode, name)
	if len(pods) == 0 {
		return nil
	}
	if _, err := nl.c.Get(ctx, nodeKind, "", name); !api.IsNotFound(err) {
		return err // it exists after all (nil), or we cannot tell
	}
	for _, o := range pods {
		p := o.(*api.Pod)
		if err := deletePod(ctx, nl.c, nl.pods, p); err != nil {
			return fmt.Errorf("delete pod %s of deleted node %s: %w", p.Name, name, err)
		}
		nl.ev.normal(p, "NodeLost", "Deleting pod %s/%s: node %s is gone", p.Namespace, p.Name, name)
	}
	return nil
}
