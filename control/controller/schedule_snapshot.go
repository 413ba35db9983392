package controller

import (
	"sync"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/scheduler"
)

// snapshotCache keeps the scheduler's snapshot from one round to the next, as kube-scheduler keeps
// its cache: a round records its placements in the snapshot, so the next round can start from it
// instead of rebuilding it from every node and every bound pod (tens of milliseconds at 5,000 nodes
// and 50,000 pods). The snapshot is rebuilt when something else changes what the nodes have or
// offer: a node is added, removed, or changes its labels, taints, readiness or capacity; a bound
// pod is deleted, finishes or moves; a pod is bound by someone else (a DaemonSet, a manifest with
// spec.nodeName); a binding of ours fails; and at every periodic retry of parked pods.
type snapshotCache struct {
	mu     sync.Mutex
	snap   *scheduler.Snapshot
	placed map[string]string // pod key -> node, for placements in snap not yet seen bound
	stale  bool
	gen    uint64 // counts invalidations, so that one during a rebuild is not lost
}

// get returns the snapshot to schedule on, building a fresh one when there is none or it is stale.
func (c *snapshotCache) get(build func() *scheduler.Snapshot) *scheduler.Snapshot {
	c.mu.Lock()
	ok, gen := c.snap != nil && !c.stale, c.gen
	c.mu.Unlock()
	if ok {
		return c.snap
	}
	snap := build()
	c.mu.Lock()
	c.snap, c.stale, c.placed = snap, c.gen != gen, map[string]string{}
	c.mu.Unlock()
	return snap
}

// invalidate makes the next round rebuild the snapshot.
func (c *snapshotCache) invalidate() {
	c.mu.Lock()
	c.invalidateLocked()
	c.mu.Unlock()
}

func (c *snapshotCache) invalidateLocked() {
	c.stale = true
	c.gen++
}

// record notes the placements a round made in the snapshot, before they are committed.
func (c *snapshotCache) record(decisions []scheduler.Decision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range decisions {
		if d.NodeName != "" {
			c.placed[keyOf(d.Pod)] = d.NodeName
		}
	}
}

// podChanged keeps the snapshot honest about pods: one of our placements showing up bound is
// already in it; any other binding, a bound pod that goes away, finishes or moves is not.
func (c *snapshotCache) podChanged(old, cur api.Object) {
	o, _ := old.(*api.Pod)
	p, _ := cur.(*api.Pod)
	wasBound := o != nil && o.Spec.NodeName != "" && isPodActive(o)
	isBound := p != nil && p.Spec.NodeName != "" && isPodActive(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !wasBound && isBound:
		key := keyOf(p)
		if c.placed[key] == p.Spec.NodeName {
			delete(c.placed, key)
			return
		}
		c.invalidateLocked()
	case wasBound && (!isBound || o.Spec.NodeName != p.Spec.NodeName):
		c.invalidateLocked()
	}
}

// nodeChanged marks the snapshot stale when a node comes, goes, or changes in a way that matters
// to placement, and reports whether it did; heartbeats do not.
func (c *snapshotCache) nodeChanged(old, cur api.Object) bool {
	if old == nil || cur == nil || nodePlacementChanged(old.(*api.Node), cur.(*api.Node)) {
		c.invalidate()
		return true
	}
	return false
}
