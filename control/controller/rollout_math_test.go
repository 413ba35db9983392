package controller

import (
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

func TestFenceposts(t *testing.T) {
	for _, tc := range []struct {
		replicas               int32
		surge, unavailable     api.IntOrString
		wantSurge, wantUnavail int32
	}{
		{10, api.FromString("25%"), api.FromString("25%"), 3, 2}, // surge rounds up, unavailable down
		{3, api.FromString("25%"), api.FromString("25%"), 1, 0},
		{4, api.FromInt(0), api.FromString("10%"), 0, 1}, // both zero: one may be unavailable
		{5, api.FromInt(2), api.FromInt(7), 2, 5},        // never more unavailable than replicas
		{0, api.FromInt(1), api.FromInt(1), 1, 0},
	} {
		d := rollingDeployment("d", tc.replicas, "x", tc.unavailable, tc.surge)
		if got := maxSurge(d); got != tc.wantSurge {
			t.Errorf("replicas %d surge %s: maxSurge %d, want %d", tc.replicas, tc.surge, got, tc.wantSurge)
		}
		if got := maxUnavailable(d); got != tc.wantUnavail {
			t.Errorf("replicas %d unavailable %s: maxUnavailable %d, want %d", tc.replicas, tc.unavailable, got, tc.wantUnavail)
		}
	}
	recreate := newDeployment("d", 4, "x")
	recreate.Spec.Strategy.Type = "Recreate"
	if maxSurge(recreate) != 0 || maxUnavailable(recreate) != 0 {
		t.Error("Recreate has a surge or unavailable budget")
	}
}

func TestRolloutSteps(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		want, surge, total, cur    int32
		wantNew                    int32
		unavail, newSpec, newAvail int32
		wantRoom                   int32
	}{
		{name: "start", want: 10, surge: 3, total: 10, cur: 0, wantNew: 3, unavail: 2, newSpec: 3, newAvail: 0, wantRoom: -1},
		{name: "surge used", want: 10, surge: 3, total: 13, cur: 3, wantNew: 3, unavail: 2, newSpec: 3, newAvail: 3, wantRoom: 5},
		{name: "near the end", want: 10, surge: 3, total: 11, cur: 9, wantNew: 10, unavail: 2, newSpec: 10, newAvail: 9, wantRoom: 2},
		{name: "never ready", want: 3, surge: 1, total: 4, cur: 1, wantNew: 1, unavail: 0, newSpec: 1, newAvail: 0, wantRoom: 0},
	} {
		if got := newRSReplicas(tc.want, tc.surge, tc.total, tc.cur); got != tc.wantNew {
			t.Errorf("%s: new replica set to %d, want %d", tc.name, got, tc.wantNew)
		}
		if got := oldScaleDownRoom(tc.total, tc.want, tc.unavail, tc.newSpec, tc.newAvail); got != tc.wantRoom {
			t.Errorf("%s: room to scale old down %d, want %d", tc.name, got, tc.wantRoom)
		}
	}
}

func TestTemplateHash(t *testing.T) {
	d := newDeployment("web", 3, "web:v1")
	api.SetDefaults(d)
	h := templateHash(&d.Spec.Template, nil)
	if len(h) == 0 || len(h) > 10 {
		t.Fatalf("hash %q", h)
	}
	withLabel := deepCopyTemplate(&d.Spec.Template)
	withLabel.Labels[labelPodTemplateHash] = h
	if templateHash(&withLabel, nil) != h || !sameTemplate(&withLabel, &d.Spec.Template) {
		t.Error("the pod-template-hash label changes the hash")
	}
	if templateHash(&d.Spec.Template, ptr(int32(1))) == h {
		t.Error("the collision count does not change the hash")
	}
	other := deepCopyTemplate(&d.Spec.Template)
	other.Spec.Containers[0].Image = "web:v2"
	if templateHash(&other, nil) == h || sameTemplate(&other, &d.Spec.Template) {
		t.Error("another image gives the same hash")
	}
	for _, c := range h {
		if !('b' <= c && c <= 'z' || '2' <= c && c <= '9') || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'a' {
			t.Errorf("hash %q has %q", h, c)
		}
	}
}

func TestDeleteOrder(t *testing.T) {
	now := time.Now()
	pod := func(name, node, phase string, ready bool, readySince time.Duration, restarts int32, age time.Duration) *api.Pod {
		p := newPod(name)
		p.Spec.NodeName = node
		p.Status.Phase = phase
		p.CreationTimestamp = api.NewTime(now.Add(-age))
		p.Status.ContainerStatuses = []api.ContainerStatus{{RestartCount: restarts}}
		if ready {
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(now.Add(-readySince))}}
		}
		return p
	}
	// In the order Kubernetes deletes them.
	pods := []*api.Pod{
		pod("unscheduled", "", api.PodPending, false, 0, 0, time.Hour),
		pod("pending", "n", api.PodPending, false, 0, 0, time.Hour),
		pod("unknown", "n", api.PodUnknown, false, 0, 0, time.Hour),
		pod("not-ready", "n", api.PodRunning, false, 0, 0, time.Hour),
		pod("ready-briefly", "n", api.PodRunning, true, time.Minute, 0, time.Hour),
		pod("restarted", "n", api.PodRunning, true, time.Hour, 5, time.Hour),
		pod("newer", "n", api.PodRunning, true, time.Hour, 0, time.Hour),
		pod("older", "n", api.PodRunning, true, time.Hour, 0, 2*time.Hour),
	}
	for i := range pods {
		for j := range pods {
			if got, want := deleteFirst(pods[i], pods[j]), i < j; got != want {
				t.Errorf("deleteFirst(%s, %s) = %v, want %v", pods[i].Name, pods[j].Name, got, want)
			}
		}
	}
}
