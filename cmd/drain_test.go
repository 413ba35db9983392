package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controltest"
)

// hollowNodes registers Ready nodes that heartbeat and report the pods bound to them Running and
// Ready without running anything (as kubemark does), until the test ends.
func hollowNodes(t *testing.T, c *client.Client, names ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	nodes, _ := api.ResourceFor("nodes")
	pods, _ := api.ResourceFor("pods")
	for _, name := range names {
		n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}}
		if _, err := c.Create(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	beat := func() {
		for _, name := range names {
			obj, err := c.Get(ctx, nodes, "", name)
			if err != nil {
				continue
			}
			n := obj.(*api.Node)
			caps := api.ResourceList{"cpu": api.MustParseQuantity("8"), "memory": api.MustParseQuantity("16Gi"), "pods": api.MustParseQuantity("110")}
			n.Status.Capacity, n.Status.Allocatable = caps, caps
			n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, LastHeartbeatTime: api.Now()}}
			c.UpdateStatus(ctx, n)
		}
		objs, _, _ := c.List(ctx, pods, "", client.ListOptions{})
		for _, o := range objs {
			p := o.(*api.Pod)
			if p.Spec.NodeName == "" || p.Status.Phase == api.PodRunning {
				continue
			}
			p.Status.Phase = api.PodRunning
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}, {Type: api.PodScheduled, Status: api.ConditionTrue}}
			c.UpdateStatus(ctx, p)
		}
	}
	beat()
	go func() {
		for ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
			beat()
		}
	}()
}

// podNodes counts the deployment's running pods per node.
func podNodes(t *testing.T, c *client.Client) map[string]int {
	t.Helper()
	pods, _ := api.ResourceFor("pods")
	objs, _, err := c.List(context.Background(), pods, "default", client.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, o := range objs {
		p := o.(*api.Pod)
		if p.Status.Phase == api.PodRunning {
			out[p.Spec.NodeName]++
		}
	}
	return out
}

func TestCordonDrainUncordon(t *testing.T) {
	srv, c := controltest.Start(t, control.Config{})
	cl := clusterOf(t, srv)
	hollowNodes(t, c, "node-a", "node-b")

	deploy := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.local/web:1}]
`
	if _, errs, code := cl.wk(t, deploy, "apply", "-f", "-"); code != 0 {
		t.Fatal(errs)
	}
	waitFor(t, 30*time.Second, "4 pods running over both nodes", func() bool {
		n := podNodes(t, c)
		return n["node-a"]+n["node-b"] == 4 && n["node-a"] > 0 && n["node-b"] > 0
	})

	out, _, code := cl.wk(t, "", "cordon", "node-a")
	if code != 0 || out != "node/node-a cordoned\n" {
		t.Fatalf("cordon: %d %q", code, out)
	}
	out, _, _ = cl.wk(t, "", "get", "nodes")
	if !strings.Contains(out, "node-a   Ready,SchedulingDisabled") {
		t.Fatalf("get nodes after cordon:\n%s", out)
	}
	before := podNodes(t, c)["node-a"]
	cl.wk(t, "", "scale", "deploy/web", "--replicas=8")
	waitFor(t, 30*time.Second, "8 pods running", func() bool { n := podNodes(t, c); return n["node-a"]+n["node-b"] == 8 })
	if got := podNodes(t, c)["node-a"]; got != before {
		t.Fatalf("a cordoned node got new pods: %d, had %d", got, before)
	}

	// A bare pod on node-a makes drain refuse without --force.
	bare := "apiVersion: v1\nkind: Pod\nmetadata: {name: bare}\nspec:\n  nodeName: node-a\n  containers: [{name: c, image: registry.local/c:1}]\n"
	cl.wk(t, bare, "apply", "-f", "-")
	_, errs, code := cl.wk(t, "", "drain", "node-a")
	if code == 0 || !strings.Contains(errs, "cannot delete Pods that declare no controller (use --force to override): default/bare") {
		t.Fatalf("drain without --force: exit %d, %q", code, errs)
	}
	out, errs, code = cl.wk(t, "", "drain", "node-a", "--force", "--timeout", "20s")
	if code != 0 || !strings.HasSuffix(out, "node/node-a drained\n") {
		t.Fatalf("drain --force: exit %d\n%s%s", code, out, errs)
	}
	waitFor(t, 30*time.Second, "all 8 pods running on node-b", func() bool { n := podNodes(t, c); return n["node-b"] == 8 && n["node-a"] == 0 })

	out, _, _ = cl.wk(t, "", "uncordon", "node-a")
	if out != "node/node-a uncordoned\n" {
		t.Fatalf("uncordon: %q", out)
	}
	cl.wk(t, "", "scale", "deploy/web", "--replicas=12")
	waitFor(t, 30*time.Second, "new pods land on node-a again", func() bool { return podNodes(t, c)["node-a"] > 0 })
}
