package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

func TestDeletingDeploymentDeletesReplicaSetsAndPods(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("node0", nil)
	cl.create(newDeployment("web", 3, "web:v1"))
	cl.waitReady("app=web", 3, "web:v1", 10*time.Second)
	cl.update(deploymentKind, "web", setImage("web:v2"))
	cl.waitReady("app=web", 3, "web:v2", 10*time.Second)
	cl.delete(deploymentKind, "web")
	waitFor(t, 10*time.Second, "replicasets and pods to go", func() (bool, string) {
		rss, _, err := cl.c.List(context.Background(), replicaSetKind, "default", client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods := cl.pods("")
		return len(rss) == 0 && len(pods) == 0, fmt.Sprintf("%d replicasets, %d pods", len(rss), len(pods))
	})
}

func TestReplicaSetAdoptsOrphansAndGCDropsOrphaned(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("node0", nil)
	orphan := newPod("orphan")
	orphan.Labels = map[string]string{"app": "db"}
	cl.create(orphan)
	cl.waitReady("app=db", 1, "app:v1", 5*time.Second)
	labels := map[string]string{"app": "db"}
	cl.create(&api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: "db", Namespace: "default"},
		Spec: api.ReplicaSetSpec{
			Replicas: ptr(int32(2)),
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "db", Image: "app:v1"}}},
			},
		},
	})
	cl.waitReady("app=db", 2, "app:v1", 10*time.Second)
	if p := cl.get(podKind, "orphan").(*api.Pod); controllerOf(&p.ObjectMeta) == nil {
		t.Error("the orphan was not adopted")
	}
	cl.delete(replicaSetKind, "db")
	waitFor(t, 10*time.Second, "the pods to go", func() (bool, string) {
		n := len(cl.pods(""))
		return n == 0, fmt.Sprintf("%d pods", n)
	})
}
