package controller

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// readyWatch follows the pods of a selector through a watch and records, after every change, the
// number of Ready pods and of running pods per image: every state the store went through.
type readyWatch struct {
	mu        sync.Mutex
	minReady  int
	maxPods   int
	mixed     bool // pods of two images at once
	changes   int
	cancel    context.CancelFunc
	done      chan struct{}
	streamErr error
}

func watchReady(t *testing.T, cl *cluster, selector string) *readyWatch {
	t.Helper()
	objs, rv, err := cl.c.List(context.Background(), podKind, "default", client.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	pods := map[string]*api.Pod{}
	for _, o := range objs {
		pods[keyOf(o)] = o.(*api.Pod)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := cl.c.Watch(ctx, podKind, "default", client.ListOptions{LabelSelector: selector, ResourceVersion: rv})
	if err != nil {
		t.Fatal(err)
	}
	w := &readyWatch{minReady: 1 << 30, cancel: cancel, done: make(chan struct{})}
	w.record(pods)
	go func() {
		defer close(w.done)
		for ev := range ch {
			if ev.Type == api.Bookmark {
				continue
			}
			if ev.Type == api.Deleted {
				delete(pods, keyOf(ev.Object))
			} else {
				pods[keyOf(ev.Object)] = ev.Object.(*api.Pod)
			}
			w.record(pods)
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *readyWatch) record(pods map[string]*api.Pod) {
	ready := 0
	images := map[string]bool{}
	for _, p := range pods {
		if isPodReady(p) {
			ready++
		}
		images[p.Spec.Containers[0].Image] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.minReady = min(w.minReady, ready)
	w.maxPods = max(w.maxPods, len(pods))
	w.mixed = w.mixed || len(images) > 1
	w.changes++
}

func (w *readyWatch) stop() {
	w.cancel()
	<-w.done
}

func (w *readyWatch) result() (minReady, maxPods int, mixed bool, changes int) {
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.minReady, w.maxPods, w.mixed, w.changes
}

func rollingDeployment(name string, replicas int32, image string, maxUnavailable, maxSurge api.IntOrString) *api.Deployment {
	d := newDeployment(name, replicas, image)
	d.Spec.Strategy = api.DeploymentStrategy{Type: "RollingUpdate", RollingUpdate: &api.RollingUpdateDeployment{
		MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge}}
	return d
}

func TestRollingUpdateAndRollback(t *testing.T) {
	cl := newCluster(t)
	for i := range 3 {
		cl.nodes.addNode(fmt.Sprintf("node%d", i), nil)
	}
	const replicas = 6
	cl.create(rollingDeployment("web", replicas, "web:v1", api.FromInt(2), api.FromString("20%")))
	cl.waitReady("app=web", replicas, "web:v1", 10*time.Second)
	v1 := cl.replicaSetOf("web", "web:v1")

	for _, step := range []struct {
		name, image string
		change      func(api.Object)
		revision    string
	}{
		{"update", "web:v2", setImage("web:v2"), "2"},
		{"rollback", "web:v1", func(o api.Object) { // what `wk rollout undo` does: the old template, without its hash
			tmpl := deepCopyTemplate(&v1.Spec.Template)
			delete(tmpl.Labels, labelPodTemplateHash)
			o.(*api.Deployment).Spec.Template = tmpl
		}, "3"},
	} {
		t.Run(step.name, func(t *testing.T) {
			w := watchReady(t, cl, "app=web")
			cl.update(deploymentKind, "web", step.change)
			cl.waitReady("app=web", replicas, step.image, 15*time.Second)
			cl.waitComplete("web", step.revision)
			minReady, maxPods, _, changes := w.result()
			t.Logf("%d pod changes; at least %d ready, at most %d pods", changes, minReady, maxPods)
			if minReady < replicas-2 {
				t.Errorf("%d pods were ready at one point, want at least replicas-maxUnavailable = %d", minReady, replicas-2)
			}
			if maxPods > replicas+2 {
				t.Errorf("%d pods existed at one point, want at most replicas+maxSurge = %d", maxPods, replicas+2)
			}
			rs := cl.replicaSetOf("web", step.image)
			if got := rs.Annotations[annotationRevision]; got != step.revision {
				t.Errorf("replicaset %s has revision %q, want %q", rs.Name, got, step.revision)
			}
		})
	}
	if got := cl.replicaSetOf("web", "web:v1").Name; got != v1.Name {
		t.Errorf("rollback made replicaset %s, want the old %s again", got, v1.Name)
	}
	if h := cl.replicaSetOf("web", "web:v1").Annotations[annotationRevisionHistory]; h != "1" {
		t.Errorf("revision history %q, want \"1\"", h)
	}
}

// replicaSetOf returns the deployment's ReplicaSet of an image.
func (cl *cluster) replicaSetOf(deploy, image string) *api.ReplicaSet {
	cl.t.Helper()
	objs, _, err := cl.c.List(context.Background(), replicaSetKind, "default", client.ListOptions{LabelSelector: "app=" + deploy})
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, o := range objs {
		if rs := o.(*api.ReplicaSet); rs.Spec.Template.Spec.Containers[0].Image == image {
			return rs
		}
	}
	cl.t.Fatalf("no replicaset of %s runs %s", deploy, image)
	return nil
}

// waitComplete waits for the rollout of a revision to be reported complete.
func (cl *cluster) waitComplete(name, revision string) {
	cl.t.Helper()
	waitFor(cl.t, 10*time.Second, "rollout complete", func() (bool, string) {
		d := cl.get(deploymentKind, name).(*api.Deployment)
		c := deploymentCondition(d.Status.Conditions, condProgressing)
		a := deploymentCondition(d.Status.Conditions, condAvailable)
		ok := c != nil && c.Reason == reasonNewRSAvailable && a != nil && a.Status == api.ConditionTrue &&
			d.Annotations[annotationRevision] == revision && deploymentComplete(d, &d.Status)
		return ok, fmt.Sprintf("revision %q, status %+v", d.Annotations[annotationRevision], d.Status)
	})
}

func TestRolloutStopsAtProgressDeadline(t *testing.T) {
	cl := newCluster(t)
	for i := range 2 {
		cl.nodes.addNode(fmt.Sprintf("node%d", i), nil)
	}
	d := newDeployment("web", 3, "web:v1")
	deadline := int32(1)
	d.Spec.ProgressDeadlineSeconds = &deadline
	cl.create(d)
	cl.waitReady("app=web", 3, "web:v1", 10*time.Second)

	w := watchReady(t, cl, "app=web")
	cl.update(deploymentKind, "web", setImage(neverReady))
	waitFor(t, 10*time.Second, "ProgressDeadlineExceeded", func() (bool, string) {
		d := cl.get(deploymentKind, "web").(*api.Deployment)
		c := deploymentCondition(d.Status.Conditions, condProgressing)
		return c != nil && c.Status == api.ConditionFalse && c.Reason == reasonTimedOut, fmt.Sprintf("%+v", d.Status.Conditions)
	})
	ready, images := cl.readyPods("app=web")
	if ready != 3 || images["web:v1"] != 3 {
		t.Errorf("after the deadline: %d ready pods, images %v; want the 3 old pods", ready, images)
	}
	if minReady, _, _, _ := w.result(); minReady < 3 {
		t.Errorf("only %d pods were ready at one point; the old pods must stay (maxUnavailable 25%% of 3 is 0)", minReady)
	}
	if n := len(cl.pods("app=web")); n != 4 {
		t.Errorf("%d pods, want 3 old and 1 new (maxSurge 25%% of 3 rounds up to 1)", n)
	}
	if evs := cl.events("web", reasonTimedOut); len(evs) == 0 {
		t.Errorf("no %s event", reasonTimedOut)
	}
}

func TestRecreateStopsOldPodsFirst(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("node0", nil)
	d := newDeployment("web", 3, "web:v1")
	d.Spec.Strategy = api.DeploymentStrategy{Type: "Recreate"}
	cl.create(d)
	cl.waitReady("app=web", 3, "web:v1", 10*time.Second)
	w := watchReady(t, cl, "app=web")
	cl.update(deploymentKind, "web", setImage("web:v2"))
	cl.waitReady("app=web", 3, "web:v2", 10*time.Second)
	if _, _, mixed, _ := w.result(); mixed {
		t.Error("old and new pods ran at the same time")
	}
}

func TestPausedDeploymentDoesNotRollOut(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("node0", nil)
	cl.create(newDeployment("web", 2, "web:v1"))
	cl.waitReady("app=web", 2, "web:v1", 10*time.Second)
	cl.update(deploymentKind, "web", func(o api.Object) {
		d := o.(*api.Deployment)
		d.Spec.Paused = true
		d.Spec.Template.Spec.Containers[0].Image = "web:v2"
		d.Spec.Replicas = ptr(int32(3))
	})
	cl.waitReady("app=web", 3, "web:v1", 10*time.Second) // scaling still works
	waitFor(t, 5*time.Second, "the paused condition", func() (bool, string) {
		d := cl.get(deploymentKind, "web").(*api.Deployment)
		c := deploymentCondition(d.Status.Conditions, condProgressing)
		return c != nil && c.Reason == reasonPaused, fmt.Sprintf("%+v", d.Status.Conditions)
	})
	if n := len(cl.m.rss.List("default")); n != 1 {
		t.Errorf("%d replicasets while paused, want 1", n)
	}
	cl.update(deploymentKind, "web", func(o api.Object) { o.(*api.Deployment).Spec.Paused = false })
	cl.waitReady("app=web", 3, "web:v2", 10*time.Second)
}

func ptr[T any](v T) *T { return &v }

func TestRevisionHistoryLimit(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("node0", nil)
	d := newDeployment("web", 2, "web:v1")
	d.Spec.RevisionHistoryLimit = ptr(int32(1))
	cl.create(d)
	for i, image := range []string{"web:v1", "web:v2", "web:v3"} {
		if i > 0 {
			cl.update(deploymentKind, "web", setImage(image))
		}
		cl.waitReady("app=web", 2, image, 10*time.Second)
		cl.waitComplete("web", fmt.Sprint(i+1))
	}
	waitFor(t, 5*time.Second, "one old replicaset kept", func() (bool, string) {
		objs, _, err := cl.c.List(context.Background(), replicaSetKind, "default", client.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		revs := map[string]string{}
		for _, o := range objs {
			rs := o.(*api.ReplicaSet)
			revs[rs.Spec.Template.Spec.Containers[0].Image] = rs.Annotations[annotationRevision]
		}
		return len(revs) == 2 && revs["web:v2"] == "2" && revs["web:v3"] == "3", fmt.Sprint(revs)
	})
}

func TestScalingAStuckRollout(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("node0", nil)
	cl.create(newDeployment("web", 4, "web:v1"))
	cl.waitReady("app=web", 4, "web:v1", 10*time.Second)
	// 25% of 4: one pod over, one unavailable. The new pods never get ready: one old one goes, and
	// the new ReplicaSet fills the room to replicas+maxSurge = 5.
	cl.update(deploymentKind, "web", setImage(neverReady))
	cl.waitPods("app=web", 5, 3, 10*time.Second)
	// 25% of 8: two over, two unavailable. The scale-up is spread over both ReplicaSets, then the
	// rollout goes as far as it can: 8-2 old pods ready, and new ones up to 8+2 pods in all.
	cl.update(deploymentKind, "web", setReplicas(8))
	cl.waitPods("app=web", 10, 6, 10*time.Second)
	if _, images := cl.readyPods("app=web"); images["web:v1"] != 6 {
		t.Errorf("ready pods %v, want 6 old ones", images)
	}
}

// waitPods waits until the selector matches n pods of which ready are Ready.
func (cl *cluster) waitPods(selector string, n, ready int, timeout time.Duration) {
	cl.t.Helper()
	waitFor(cl.t, timeout, fmt.Sprintf("%d pods, %d ready", n, ready), func() (bool, string) {
		r, images := cl.readyPods(selector)
		pods := len(cl.pods(selector))
		return pods == n && r == ready, fmt.Sprintf("%d pods, %d ready %v", pods, r, images)
	})
}
