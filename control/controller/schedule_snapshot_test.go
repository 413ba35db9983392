package controller

import (
	"testing"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/scheduler"
)

func TestSnapshotCache(t *testing.T) {
	pending := newPod("p")
	pending.UID = "u1"
	onNode := func(p *api.Pod, node string) *api.Pod {
		cp := *p
		cp.Spec.NodeName = node
		return &cp
	}
	finished := onNode(pending, "n1")
	finished.Status.Phase = api.PodSucceeded
	node := &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1", Labels: map[string]string{"zone": "a"}}}
	heartbeat := *node
	heartbeat.ResourceVersion = "9"
	relabelled := *node
	relabelled.Labels = map[string]string{"zone": "b"}

	for _, tc := range []struct {
		name      string
		change    func(c *snapshotCache)
		wantStale bool
	}{
		{"nothing", func(c *snapshotCache) {}, false},
		{"our binding", func(c *snapshotCache) { c.podChanged(pending, onNode(pending, "n1")) }, false},
		{"our binding, seen again", func(c *snapshotCache) {
			c.podChanged(pending, onNode(pending, "n1"))
			c.podChanged(onNode(pending, "n1"), onNode(pending, "n1"))
		}, false},
		{"a pending pod", func(c *snapshotCache) { c.podChanged(nil, newPod("q")) }, false},
		{"bound elsewhere", func(c *snapshotCache) { c.podChanged(pending, onNode(pending, "n2")) }, true},
		{"bound by someone else", func(c *snapshotCache) { c.podChanged(nil, onNode(newPod("q"), "n1")) }, true},
		{"bound pod deleted", func(c *snapshotCache) { c.podChanged(onNode(newPod("q"), "n1"), nil) }, true},
		{"bound pod finished", func(c *snapshotCache) { c.podChanged(onNode(pending, "n1"), finished) }, true},
		{"heartbeat", func(c *snapshotCache) { c.nodeChanged(node, &heartbeat) }, false},
		{"node labels", func(c *snapshotCache) { c.nodeChanged(node, &relabelled) }, true},
		{"node added", func(c *snapshotCache) { c.nodeChanged(nil, node) }, true},
		{"node deleted", func(c *snapshotCache) { c.nodeChanged(node, nil) }, true},
		{"failed binding", func(c *snapshotCache) { c.invalidate() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c snapshotCache
			builds := 0
			build := func() *scheduler.Snapshot { builds++; return scheduler.NewSnapshot(nil, nil) }
			first := c.get(build)
			c.record([]scheduler.Decision{{Pod: pending, NodeName: "n1"}})
			tc.change(&c)
			again := c.get(build)
			if stale := again != first; stale != tc.wantStale || builds != 1+btoi(tc.wantStale) {
				t.Errorf("rebuilt %v (%d builds), want %v", stale, builds, tc.wantStale)
			}
		})
	}
}

// An invalidation while the snapshot is being built leaves the new one stale.
func TestSnapshotCacheInvalidatedDuringBuild(t *testing.T) {
	var c snapshotCache
	builds := 0
	first := c.get(func() *scheduler.Snapshot {
		builds++
		c.invalidate()
		return scheduler.NewSnapshot(nil, nil)
	})
	if c.get(func() *scheduler.Snapshot { builds++; return scheduler.NewSnapshot(nil, nil) }) == first || builds != 2 {
		t.Errorf("the snapshot built during an invalidation was kept")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
