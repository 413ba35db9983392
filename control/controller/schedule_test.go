package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

func TestUnschedulablePodWaitsForANode(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("small", nil)
	p := newPod("big")
	p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	cl.create(p)

	var reason string
	waitFor(t, 5*time.Second, "PodScheduled=False", func() (bool, string) {
		p := cl.get(podKind, "big").(*api.Pod)
		c := podCondition(p, api.PodScheduled)
		if c == nil {
			return false, "no condition"
		}
		reason = c.Message
		return c.Status == api.ConditionFalse && c.Reason == "Unschedulable" && strings.HasPrefix(c.Message, "0/1 nodes are available: "), fmt.Sprintf("%+v", *c)
	})
	t.Logf("reason: %s", reason)
	waitFor(t, 5*time.Second, "a FailedScheduling event", func() (bool, string) {
		evs := cl.events("big", "FailedScheduling")
		return len(evs) == 1 && evs[0].Message == reason && evs[0].Source.Component == componentScheduler, fmt.Sprintf("%d events", len(evs))
	})

	// Nothing changes in the cluster, so the pod is not tried again: no writes to it.
	rv := cl.get(podKind, "big").GetObjectMeta().ResourceVersion
	tries := cl.m.scheduler.queue.NumRequeues("default/big")
	time.Sleep(300 * time.Millisecond)
	if now := cl.get(podKind, "big").GetObjectMeta().ResourceVersion; now != rv {
		t.Errorf("the parked pod was written to: resourceVersion %s -> %s", rv, now)
	}
	if n := cl.m.scheduler.queue.NumRequeues("default/big"); n != tries {
		t.Errorf("the parked pod was retried %d times", n-tries)
	}

	cl.nodes.addNode("fast", map[string]string{"disk": "ssd"})
	waitFor(t, 5*time.Second, "the pod on the new node", func() (bool, string) {
		p := cl.get(podKind, "big").(*api.Pod)
		c := podCondition(p, api.PodScheduled)
		return p.Spec.NodeName == "fast" && c != nil && c.Status == api.ConditionTrue, fmt.Sprintf("on %q, %+v", p.Spec.NodeName, c)
	})
	waitFor(t, 5*time.Second, "a Scheduled event", func() (bool, string) {
		evs := cl.events("big", "Scheduled")
		return len(evs) == 1 && evs[0].Message == "Successfully assigned default/big to fast", fmt.Sprintf("%d events", len(evs))
	})
}

func TestSchedulerSpreadsReplicas(t *testing.T) {
	cl := newCluster(t)
	for i := range 3 {
		cl.nodes.addNode(fmt.Sprintf("node%d", i), nil)
	}
	cl.create(newDeployment("web", 6, "web:v1"))
	cl.waitReady("app=web", 6, "web:v1", 10*time.Second)
	per := map[string]int{}
	for _, p := range cl.pods("app=web") {
		per[p.Spec.NodeName]++
	}
	if len(per) != 3 || per["node0"] != 2 || per["node1"] != 2 {
		t.Errorf("replicas per node %v, want 2 on each", per)
	}
}
