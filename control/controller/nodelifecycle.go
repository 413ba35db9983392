package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
)

// nodeLifecycle watches node heartbeats: a node whose Ready condition was not renewed within the
// grace period of this controller's clock (or that gossip declared dead) becomes Ready=Unknown
// with the NoExecute taint node.kubernetes.io/unreachable, a node that reports Ready=False gets
// node.kubernetes.io/not-ready, and the pods on a node with a NoExecute taint are evicted once
// they have stayed the eviction timeout (or their toleration's tolerationSeconds). A node that
// reports Ready again loses the taint. The pods of a node that is deleted are deleted too.
type nodeLifecycle struct {
	*loop
	c      Client
	nodes  *Informer
	pods   *Informer
	ev     eventSink
	now    func() time.Time
	grace  time.Duration
	evict  time.Duration
	period time.Duration

	mu      sync.Mutex
	health  map[string]nodeHealth           // node -> what this controller saw of its heartbeats
	taintAt map[string]map[string]time.Time // node -> taint key -> when this controller first saw it
}

// nodeHealth is what the controller last saw of a node's heartbeat: its value, and the time on the
// controller's own clock when that value was first seen (Kubernetes' probe timestamp). Silence is
// measured from probe, so neither a skewed node clock nor a control plane that was away makes a
// node look silent. A zero probe means no heartbeat seen yet.
type nodeHealth struct {
	heartbeat time.Time
	probe     time.Time
	deadAt    time.Time // MarkNodeDead: dead until a heartbeat after this time; zero when not
}

func newNodeLifecycle(m *Manager) *nodeLifecycle {
	nl := &nodeLifecycle{
		c: m.c, nodes: m.nodes, pods: m.pods, ev: m.events, now: m.cfg.Now,
		grace: m.cfg.NodeMonitorGracePeriod, evict: m.cfg.PodEvictionTimeout, period: m.cfg.NodeMonitorPeriod,
		health: map[string]nodeHealth{}, taintAt: map[string]map[string]time.Time{},
	}
	nl.loop = newLoop("nodelifecycle", m.log, nl.sync)
	m.nodes.AddHandler(func(old, cur api.Object) { nl.enqueue(either(old, cur)) })
	return nl
}

// monitor queues every node once a period, so that silence is noticed.
func (nl *nodeLifecycle) monitor(ctx context.Context) {
	t := time.NewTicker(nl.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, n := range nl.nodes.List("") {
				nl.enqueue(n)
			}
		}
	}
}

// markDead makes a node NotReady now, without waiting for its heartbeat to go stale.
func (nl *nodeLifecycle) markDead(name string) {
	nl.mu.Lock()
	h := nl.health[name]
	h.deadAt = nl.now()
	nl.health[name] = h
	nl.mu.Unlock()
	nl.queue.Add(name)
}

func (nl *nodeLifecycle) sync(ctx context.Context, name string) error {
	obj := nl.nodes.GetKey(name)
	if obj == nil {
		return nl.nodeGone(ctx, name)
	}
	n := obj.(*api.Node)
	now := nl.now()
	if nl.silent(n, now) {
		var err error
		if n, err = nl.markUnknown(ctx, n, now); err != nil {
			return err
		}
	}
	n, err := nl.syncTaints(ctx, n, now)
	if err != nil {
		return err
	}
	if r := n.Condition(api.NodeReady); r != nil && r.Status == api.ConditionUnknown {
		if err := nl.markPodsNotReady(ctx, n, now); err != nil {
			return err
		}
	}
	return nl.evictPods(ctx, n, now)
}

// wantTaint is the NoExecute taint the node's Ready condition calls for, or "".
func wantTaint(n *api.Node) string {
	r := n.Condition(api.NodeReady)
	switch {
	case r == nil: // a node that has not reported yet; silent() turns it Unknown after the grace period
		return ""
	case r.Status == api.ConditionUnknown:
		return taintUnreachable
	case r.Status == api.ConditionFalse:
		return taintNotReady
	}
	return ""
}

// syncTaints makes the node carry the unreachable or not-ready taint that its condition calls for,
// and not the other.
func (nl *nodeLifecycle) syncTaints(ctx context.Context, n *api.Node, now time.Time) (*api.Node, error) {
	want := wantTaint(n)
	var taints []api.Taint
	has := false
	for _, t := range n.Spec.Taints {
		ours := t.Effect == api.TaintNoExecute && (t.Key == taintUnreachable || t.Key == taintNotReady)
		switch {
		case ours && t.Key == want:
			has = true
			taints = append(taints, t)
		case !ours:
			taints = append(taints, t)
		}
	}
	if want != "" && !has {
		at := api.NewTime(now)
		taints = append(taints, api.Taint{Key: want, Effect: api.TaintNoExecute, TimeAdded: &at})
	}
	if len(taints) == len(n.Spec.Taints) && (has || want == "") {
		return n, nil
	}
	cp := deepCopy(n)
	cp.Spec.Taints = taints
	out, err := nl.c.Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("taint node %s: %w", n.Name, err)
	}
	nl.nodes.Observe(out)
	if want != "" && !has {
		nl.rememberTaint(n.Name, want, now)
	}
	return out.(*api.Node), nil
}
