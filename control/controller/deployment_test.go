package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

func TestDeploymentReplacesDeletedPod(t *testing.T) {
	cl := newCluster(t)
	for i := range 3 {
		cl.nodes.addNode(fmt.Sprintf("node%d", i), nil)
	}
	cl.create(newDeployment("web", 3, "web:v1"))
	cl.waitReady("app=web", 3, "web:v1", 10*time.Second)

	victim := cl.pods("app=web")[0]
	start := time.Now()
	cl.delete(podKind, victim.Name)
	waitFor(t, 5*time.Second, "a replacement pod", func() (bool, string) {
		pods := cl.pods("app=web")
		for _, p := range pods {
			if p.Name == victim.Name {
				return false, "the deleted pod is still listed"
			}
		}
		return len(pods) == 3, fmt.Sprintf("%d pods", len(pods))
	})
	t.Logf("replacement created %v after the delete", time.Since(start))
	cl.waitReady("app=web", 3, "web:v1", 5*time.Second)
	t.Logf("replacement ready %v after the delete", time.Since(start))
}

func TestDeploymentScales(t *testing.T) {
	cl := newCluster(t)
	for i := range 3 {
		cl.nodes.addNode(fmt.Sprintf("node%d", i), nil)
	}
	cl.create(newDeployment("web", 3, "web:v1"))
	cl.waitReady("app=web", 3, "web:v1", 10*time.Second)
	for _, n := range []int32{10, 2} {
		cl.update(deploymentKind, "web", setReplicas(n))
		cl.waitReady("app=web", int(n), "web:v1", 10*time.Second)
		waitFor(t, 5*time.Second, "deployment status", func() (bool, string) {
			d := cl.get(deploymentKind, "web").(*api.Deployment)
			st := d.Status
			return st.ReadyReplicas == n && st.AvailableReplicas == n && st.UpdatedReplicas == n && st.Replicas == n &&
				st.ObservedGeneration == d.Generation, fmt.Sprintf("%+v", st)
		})
	}
	waitFor(t, 5*time.Second, "replicaset status", func() (bool, string) {
		rss, _, err := cl.c.List(context.Background(), replicaSetKind, "default", client.ListOptions{})
		if err != nil || len(rss) != 1 {
			return false, fmt.Sprintf("%d replicasets, %v", len(rss), err)
		}
		rs := rss[0].(*api.ReplicaSet)
		return replicasOf(rs.Spec.Replicas) == 2 && rs.Status.ReadyReplicas == 2 && rs.Status.Replicas == 2,
			fmt.Sprintf("spec %d, status %+v", replicasOf(rs.Spec.Replicas), rs.Status)
	})
}
