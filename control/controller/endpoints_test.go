package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

// endpointPod is a pod bound to a node that no hollow kubelet runs, so that only the test sets its
// status.
func endpointPod(name, app string, ports ...api.ContainerPort) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": app}},
		Spec:       api.PodSpec{NodeName: "edge1", Containers: []api.Container{{Name: "app", Image: "app.wasm", Ports: ports}}},
	}
}

// setPodIP reports the pod Running with ip, Ready or not.
func (cl *cluster) setPodIP(name, ip string, ready bool) {
	cl.t.Helper()
	for {
		p := cl.get(podKind, name).(*api.Pod)
		p.Status.Phase, p.Status.PodIP = api.PodRunning, ip
		st := api.ConditionFalse
		if ready {
			st = api.ConditionTrue
		}
		setPodCondition(p, api.PodCondition{Type: api.PodReady, Status: st})
		_, err := cl.c.UpdateStatus(context.Background(), p)
		if err == nil {
			return
		}
		if !api.IsConflict(err) {
			cl.t.Fatalf("set status of %s: %v", name, err)
		}
	}
}

// waitEndpoints waits until the Endpoints named name has these subsets, compared as
// "ready=[ip...] notReady=[ip...] ports=[name:port...]" per subset.
func (cl *cluster) waitEndpoints(name string, want ...string) {
	cl.t.Helper()
	waitFor(cl.t, 10*time.Second, "endpoints "+name, func() (bool, string) {
		obj, err := cl.c.Get(context.Background(), endpointsKind, "default", name)
		if err != nil {
			return len(want) == 0 && api.IsNotFound(err), err.Error()
		}
		got := describeSubsets(obj.(*api.Endpoints).Subsets)
		return reflect.DeepEqual(got, want) || len(got) == 0 && len(want) == 0, fmt.Sprint(got)
	})
}

func describeSubsets(subsets []api.EndpointSubset) []string {
	var out []string
	for _, s := range subsets {
		var ready, notReady, ports []string
		for _, a := range s.Addresses {
			ready = append(ready, a.IP)
		}
		for _, a := range s.NotReadyAddresses {
			notReady = append(notReady, a.IP)
		}
		for _, p := range s.Ports {
			ports = append(ports, fmt.Sprintf("%s:%d", p.Name, p.Port))
		}
		out = append(out, fmt.Sprintf("ready=%v notReady=%v ports=%v", ready, notReady, ports))
	}
	return out
}

func webService(targetPort api.IntOrString) *api.Service {
	return &api.Service{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"tier": "front"}},
		Spec: api.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []api.ServicePort{{Name: "http", Port: 80, TargetPort: targetPort}}},
	}
}

func TestEndpointsFollowPodReadiness(t *testing.T) {
	cl := newCluster(t)
	cl.create(webService(api.FromInt(8080)))
	for _, name := range []string{"a", "b", "noip"} {
		cl.create(endpointPod(name, "web"))
	}
	cl.create(endpointPod("other", "db"))
	cl.setPodIP("a", "10.88.0.10", true)
	cl.setPodIP("b", "10.88.0.9", false)
	cl.setPodIP("other", "10.88.0.20", true)
	cl.waitEndpoints("web", "ready=[10.88.0.10] notReady=[10.88.0.9] ports=[http:8080]")

	ep := cl.get(endpointsKind, "web").(*api.Endpoints)
	a := ep.Subsets[0].Addresses[0]
	pod := cl.get(podKind, "a").(*api.Pod)
	if a.NodeName == nil || *a.NodeName != "edge1" || a.TargetRef == nil ||
		*a.TargetRef != (api.ObjectReference{Kind: "Pod", Namespace: "default", Name: "a", UID: pod.UID}) {
		b, _ := json.Marshal(a)
		t.Errorf("address of a: %s", b)
	}
	if ep.Labels["tier"] != "front" || len(ep.OwnerReferences) != 0 {
		t.Errorf("endpoints labels %v owners %v, want the service's labels and no owner", ep.Labels, ep.OwnerReferences)
	}

	cl.setPodIP("b", "10.88.0.9", true)
	cl.waitEndpoints("web", "ready=[10.88.0.9 10.88.0.10] notReady=[] ports=[http:8080]")
	cl.setPodIP("a", "10.88.0.10", false)
	cl.waitEndpoints("web", "ready=[10.88.0.9] notReady=[10.88.0.10] ports=[http:8080]")
	cl.delete(podKind, "b")
	cl.waitEndpoints("web", "ready=[] notReady=[10.88.0.10] ports=[http:8080]")

	// A change of the service's selector or port is followed.
	cl.update(serviceKind, "web", func(o api.Object) {
		s := o.(*api.Service)
		s.Spec.Selector = map[string]string{"app": "db"}
		s.Spec.Ports[0].TargetPort = api.FromInt(5432)
	})
	cl.waitEndpoints("web", "ready=[10.88.0.20] notReady=[] ports=[http:5432]")
}

func TestEndpointsNamedTargetPort(t *testing.T) {
	cl := newCluster(t)
	cl.create(webService(api.FromString("web")))
	cl.create(endpointPod("v1", "web", api.ContainerPort{Name: "web", ContainerPort: 8080}))
	cl.create(endpointPod("v2", "web", api.ContainerPort{Name: "web", ContainerPort: 9090}))
	cl.create(endpointPod("unnamed", "web", api.ContainerPort{ContainerPort: 8080}))
	cl.setPodIP("v1", "10.88.0.2", true)
	cl.setPodIP("v2", "10.88.1.3", true)
	cl.setPodIP("unnamed", "10.88.1.4", true)
	cl.waitEndpoints("web",
		"ready=[10.88.0.2] notReady=[] ports=[http:8080]",
		"ready=[10.88.1.3] notReady=[] ports=[http:9090]")
}

func TestEndpointsDeletedWithService(t *testing.T) {
	cl := newCluster(t)
	cl.create(webService(api.FromInt(8080)))
	cl.create(endpointPod("a", "web"))
	cl.setPodIP("a", "10.88.0.2", true)
	cl.waitEndpoints("web", "ready=[10.88.0.2] notReady=[] ports=[http:8080]")
	cl.delete(serviceKind, "web")
	cl.waitEndpoints("web")

	// A Service without a selector keeps the Endpoints written by hand.
	manual := &api.Service{ObjectMeta: api.ObjectMeta{Name: "ext", Namespace: "default"},
		Spec: api.ServiceSpec{Ports: []api.ServicePort{{Port: 5432}}}}
	cl.create(manual)
	cl.create(&api.Endpoints{ObjectMeta: api.ObjectMeta{Name: "ext", Namespace: "default"},
		Subsets: []api.EndpointSubset{{Addresses: []api.EndpointAddress{{IP: "192.168.1.5"}}, Ports: []api.EndpointPort{{Port: 5432}}}}})
	time.Sleep(200 * time.Millisecond)
	cl.waitEndpoints("ext", "ready=[192.168.1.5] notReady=[] ports=[:5432]")
}

func TestEndpointSubsets(t *testing.T) {
	now := api.Now()
	pod := func(name, ip string, ready bool, port int32) *api.Pod {
		p := endpointPod(name, "web", api.ContainerPort{Name: "web", ContainerPort: port})
		p.UID = "uid-" + name
		p.Status.Phase, p.Status.PodIP = api.PodRunning, ip
		st := api.ConditionFalse
		if ready {
			st = api.ConditionTrue
		}
		p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: st}}
		return p
	}
	terminating := pod("t", "10.88.0.7", true, 8080)
	terminating.DeletionTimestamp = &now
	failed := pod("f", "10.88.0.8", false, 8080)
	failed.Status.Phase = api.PodFailed
	tests := []struct {
		name string
		svc  *api.Service
		pods []*api.Pod
		want []string
	}{
		{"number", webService(api.FromInt(8080)), []*api.Pod{pod("a", "10.88.0.10", true, 1), pod("b", "10.88.0.2", true, 2), pod("c", "10.88.0.3", false, 3)},
			[]string{"ready=[10.88.0.2 10.88.0.10] notReady=[10.88.0.3] ports=[http:8080]"}},
		{"named, two numbers", webService(api.FromString("web")), []*api.Pod{pod("a", "10.88.0.2", true, 8080), pod("b", "10.88.0.3", false, 9090)},
			[]string{"ready=[10.88.0.2] notReady=[] ports=[http:8080]", "ready=[] notReady=[10.88.0.3] ports=[http:9090]"}},
		{"unresolved name", webService(api.FromString("metrics")), []*api.Pod{pod("a", "10.88.0.2", true, 8080)}, nil},
		{"left out: terminating, finished, without IP", webService(api.FromInt(80)), []*api.Pod{terminating, failed, pod("n", "", true, 80)}, nil},
		{"headless without ports", &api.Service{Spec: api.ServiceSpec{ClusterIP: "None", Selector: map[string]string{"app": "web"}}},
			[]*api.Pod{pod("a", "10.88.0.2", true, 80)}, []string{"ready=[10.88.0.2] notReady=[] ports=[]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeSubsets(endpointSubsets(tt.svc, tt.pods))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
