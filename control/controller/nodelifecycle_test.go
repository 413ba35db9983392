package controller

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) step(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// stepUntil moves the clock a second at a time (the precision of heartbeats) until cond holds.
func (c *fakeClock) stepUntil(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var msg string
	for range 60 {
		var ok bool
		if ok, msg = cond(); ok {
			return
		}
		c.step(time.Second)
		time.Sleep(60 * time.Millisecond)
	}
	t.Fatalf("a minute passed on the clock without %s: %s", what, msg)
}

func hasTaint(n *api.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == api.TaintNoExecute {
			return true
		}
	}
	return false
}

func TestDeadNodePodsRunElsewhere(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	cl := newCluster(t, func(c *Config) {
		c.Now = clock.Now
		c.NodeMonitorPeriod = 20 * time.Millisecond
	})
	for i := range 3 {
		cl.nodes.addNode(fmt.Sprintf("node%d", i), nil)
	}
	cl.create(newDeployment("web", 3, "web:v1"))
	cl.waitReady("app=web", 3, "web:v1", 10*time.Second)
	dead := cl.pods("app=web")[0].Spec.NodeName
	cl.nodes.setAlive(dead, false)
	start := clock.Now()

	clock.stepUntil(t, "the silent node to be unreachable", func() (bool, string) {
		n := cl.get(nodeKind, dead).(*api.Node)
		r := n.Condition(api.NodeReady)
		return r.Status == api.ConditionUnknown && r.Reason == "NodeStatusUnknown" && hasTaint(n, taintUnreachable),
			fmt.Sprintf("ready %s, taints %v", r.Status, n.Spec.Taints)
	})
	t.Logf("%s unreachable after %v on the clock", dead, clock.Now().Sub(start))
	for _, name := range []string{"node0", "node1", "node2"} {
		if n := cl.get(nodeKind, name).(*api.Node); name != dead && n.Condition(api.NodeReady).Status != api.ConditionTrue {
			t.Errorf("live node %s is %s", name, n.Condition(api.NodeReady).Status)
		}
	}
	clock.stepUntil(t, "the pods to run elsewhere", func() (bool, string) {
		pods := cl.pods("app=web")
		ready := 0
		for _, p := range pods {
			if p.Spec.NodeName == dead {
				return false, "a pod is still on " + dead
			}
			if isPodReady(p) {
				ready++
			}
		}
		return len(pods) == 3 && ready == 3, fmt.Sprintf("%d pods, %d ready", len(pods), ready)
	})
	t.Logf("pods ready elsewhere after %v on the clock", clock.Now().Sub(start))
	if limit := 10 * time.Second; clock.Now().Sub(start) > limit+time.Second {
		t.Errorf("pods ran elsewhere after %v on the clock, want within %v", clock.Now().Sub(start), limit)
	}
	if len(cl.events(dead, "NodeNotReady")) == 0 {
		t.Error("no NodeNotReady event")
	}

	cl.nodes.setAlive(dead, true)
	clock.stepUntil(t, "the taint to go once the node reports again", func() (bool, string) {
		n := cl.get(nodeKind, dead).(*api.Node)
		return !hasTaint(n, taintUnreachable) && n.Condition(api.NodeReady).Status == api.ConditionTrue, fmt.Sprintf("taints %v", n.Spec.Taints)
	})

	// Gossip says a node is dead: it is unreachable at once, without time passing.
	cl.m.MarkNodeDead("node1")
	waitFor(t, 5*time.Second, "node1 unreachable", func() (bool, string) {
		n := cl.get(nodeKind, "node1").(*api.Node)
		return hasTaint(n, taintUnreachable), fmt.Sprintf("taints %v", n.Spec.Taints)
	})
	clock.stepUntil(t, "node1 back after its next heartbeat", func() (bool, string) {
		n := cl.get(nodeKind, "node1").(*api.Node)
		return !hasTaint(n, taintUnreachable), fmt.Sprintf("taints %v", n.Spec.Taints)
	})
}

func TestEvictionRespectsTolerations(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	cl := newCluster(t, func(c *Config) {
		c.Now = clock.Now
		c.NodeMonitorPeriod = 20 * time.Millisecond
	})
	cl.nodes.addNode("node0", nil)
	forever := newPod("forever")
	forever.Spec.Tolerations = []api.Toleration{{Key: taintUnreachable, Operator: "Exists", Effect: api.TaintNoExecute}}
	longer := newPod("longer")
	longer.Spec.Tolerations = []api.Toleration{{Key: taintUnreachable, Operator: "Exists", Effect: api.TaintNoExecute, TolerationSeconds: ptr(int64(20))}}
	for _, p := range []*api.Pod{newPod("plain"), forever, longer} {
		cl.create(p)
	}
	waitFor(t, 5*time.Second, "3 ready pods", func() (bool, string) {
		n, _ := cl.readyPods("")
		return n == 3, fmt.Sprintf("%d", n)
	})
	cl.nodes.setAlive("node0", false)
	clock.stepUntil(t, "the plain pod's eviction", func() (bool, string) {
		names := podNames(cl.pods(""))
		return names == "forever,longer", names
	})
	clock.stepUntil(t, "the eviction of the pod that tolerates 20 s", func() (bool, string) {
		names := podNames(cl.pods(""))
		return names == "forever", names
	})
	if len(cl.events("plain", "TaintManagerEviction")) == 0 {
		t.Error("no TaintManagerEviction event")
	}
}

func newPod(name string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "app:v1"}}},
	}
}

func podNames(pods []*api.Pod) string {
	s := ""
	for i, p := range pods {
		if i > 0 {
			s += ","
		}
		s += p.Name
	}
	return s
}

// TestRestartedManagerGivesNodesAGracePeriod: a control plane that comes back after a minute away
// finds every heartbeat a minute old. It must not call the nodes silent at once (and evict every
// pod), but give each the grace period, on its own clock, to report again.
func TestRestartedManagerGivesNodesAGracePeriod(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	cfg := DefaultConfig()
	cfg.Now, cfg.NodeMonitorPeriod = clock.Now, 20*time.Millisecond
	c := newServer(t)
	cl := startFarm(t, c, clock.Now)
	f := cl.nodes
	_, stop := runManager(t, c, cfg)

	f.addNode("node0", nil)
	f.addNode("node1", nil)
	cl.create(newDeployment("web", 2, "web:v1"))
	cl.waitReady("app=web", 2, "web:v1", 10*time.Second)
	before := cl.pods("app=web")
	onNode := map[string]string{}
	for _, p := range before {
		onNode[p.Spec.NodeName] = p.Name
	}
	if len(onNode) != 2 {
		t.Fatalf("want one pod per node, got %v", onNode)
	}

	// The control plane goes away for a minute; no heartbeat lands meanwhile.
	stop()
	f.setAlive("node0", false)
	f.setAlive("node1", false)
	clock.step(time.Minute)
	restart := clock.Now()
	runManager(t, c, cfg)

	// Within the grace period after the restart, nothing changes although every heartbeat is old.
	for clock.Now().Sub(restart) < cfg.NodeMonitorGracePeriod-time.Second {
		time.Sleep(100 * time.Millisecond)
		for _, name := range []string{"node0", "node1"} {
			n := cl.get(nodeKind, name).(*api.Node)
			if r := n.Condition(api.NodeReady); r.Status != api.ConditionTrue || len(n.Spec.Taints) > 0 {
				t.Fatalf("%v after the restart, %s is %s with taints %v", clock.Now().Sub(restart), name, r.Status, n.Spec.Taints)
			}
		}
		if got := podNames(cl.pods("app=web")); got != podNames(before) {
			t.Fatalf("%v after the restart, pods %s, want %s", clock.Now().Sub(restart), got, podNames(before))
		}
		clock.step(time.Second)
	}

	// node0 reports again; node1 stays silent and, a grace period after the restart, is unreachable.
	f.setAlive("node0", true)
	clock.stepUntil(t, "node1 to be unreachable", func() (bool, string) {
		n := cl.get(nodeKind, "node1").(*api.Node)
		r := n.Condition(api.NodeReady)
		return r.Status == api.ConditionUnknown && hasTaint(n, taintUnreachable), fmt.Sprintf("ready %s, taints %v", r.Status, n.Spec.Taints)
	})
	if d := clock.Now().Sub(restart); d <= cfg.NodeMonitorGracePeriod || d > cfg.NodeMonitorGracePeriod+3*time.Second {
		t.Errorf("node1 unreachable %v after the restart, want just after the grace period %v", d, cfg.NodeMonitorGracePeriod)
	}
	clock.stepUntil(t, "node1's pod to be replaced", func() (bool, string) {
		pods := cl.pods("app=web")
		for _, p := range pods {
			if p.Name == onNode["node1"] {
				return false, "still there: " + p.Name
			}
		}
		return len(pods) == 2, podNames(pods)
	})
	n := cl.get(nodeKind, "node0").(*api.Node)
	if r := n.Condition(api.NodeReady); r.Status != api.ConditionTrue || len(n.Spec.Taints) > 0 {
		t.Errorf("node0 is %s with taints %v", r.Status, n.Spec.Taints)
	}
	if !strings.Contains(podNames(cl.pods("app=web")), onNode["node0"]) {
		t.Errorf("node0's pod %s was evicted", onNode["node0"])
	}
}
