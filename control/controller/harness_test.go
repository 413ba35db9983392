package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/store"
)

var _ Client = (*client.Client)(nil)

// cluster is a real API server over badger in a temp dir, a Manager, and hollow nodes: fake
// kubelets that heartbeat and report the pods bound to them Running and Ready, like kubemark.
type cluster struct {
	t     *testing.T
	c     *client.Client
	m     *Manager
	nodes *farm
	ctx   context.Context
}

// newServer starts a real API server over badger in a temp dir, with the default namespace, and
// returns a client of it; the test's cleanup stops it.
func newServer(t testing.TB) *client.Client {
	t.Helper()
	scfg := store.DefaultConfig()
	scfg.Dir = t.TempDir()
	st, err := store.Open(scfg)
	if err != nil {
		t.Fatal(err)
	}
	acfg := apiserver.DefaultConfig()
	acfg.AdminToken = "admin"
	hs := httptest.NewServer(apiserver.New(acfg, st).Handler())
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		st.Close()
	})
	c, err := client.New(client.Config{Server: hs.URL, Token: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(context.Background(), &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "default"}}); err != nil {
		t.Fatal(err)
	}
	return c
}

func newCluster(t *testing.T, configure ...func(*Config)) *cluster {
	t.Helper()
	c := newServer(t)
	cfg := DefaultConfig()
	for _, f := range configure {
		f(&cfg)
	}
	cl := startFarm(t, c, cfg.Now)
	cl.m, _ = runManager(t, c, cfg)
	return cl
}

// startFarm runs hollow nodes on c until the test ends, and returns their cluster, without a
// Manager.
func startFarm(t *testing.T, c *client.Client, now func() time.Time) *cluster {
	ctx, cancel := context.WithCancel(context.Background())
	f := &farm{t: t, c: c, now: now, nodes: map[string]*hollowNode{}, resync: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Go(func() { f.run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return &cluster{t: t, c: c, nodes: f, ctx: ctx}
}

// runManager runs a Manager on c, its warnings in the test log, until the returned stop (or the
// test's end).
func runManager(t *testing.T, c *client.Client, cfg Config) (m *Manager, stop func()) {
	t.Helper()
	log := &testLog{t: t}
	cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m = New(cfg, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			log.close()
		})
	}
	t.Cleanup(stop)
	return m, stop
}

// testLog sends the manager's warnings to the test log until the test ends.
type testLog struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Log(strings.TrimSpace(string(b)))
	}
	return len(b), nil
}

func (l *testLog) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

// farm runs the hollow nodes.
type farm struct {
	t      *testing.T
	c      *client.Client
	now    func() time.Time
	mu     sync.Mutex
	nodes  map[string]*hollowNode
	resync chan struct{}
}

type hollowNode struct {
	name  string
	alive atomic.Bool
}

// neverReady is an image whose pods run but never pass their readiness probe.
const neverReady = "never-ready.wasm"

// addNode registers a Ready node that heartbeats.
func (f *farm) addNode(name string, labels map[string]string) {
	f.t.Helper()
	now := api.NewTime(f.now())
	n := &api.Node{
		ObjectMeta: api.ObjectMeta{Name: name, Labels: labels},
		Status: api.NodeStatus{
			Capacity: api.ResourceList{"cpu": api.MustParseQuantity("4"), "memory": api.MustParseQuantity("8Gi"), "pods": api.MustParseQuantity("110")},
			Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: now, LastTransitionTime: now}},
		},
	}
	if _, err := f.c.Create(context.Background(), n); err != nil {
		f.t.Fatalf("create node %s: %v", name, err)
	}
	hn := &hollowNode{name: name}
	hn.alive.Store(true)
	f.mu.Lock()
	f.nodes[name] = hn
	f.mu.Unlock()
}

// setAlive stops or restarts a node's heartbeats and pod reports.
func (f *farm) setAlive(name string, alive bool) {
	f.mu.Lock()
	f.nodes[name].alive.Store(alive)
	f.mu.Unlock()
	select {
	case f.resync <- struct{}{}:
	default:
	}
}

func (f *farm) alive(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.nodes[name]
	return n != nil && n.alive.Load()
}

func (f *farm) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { f.heartbeats(ctx) })
	wg.Go(func() { f.kubelet(ctx) })
	wg.Wait()
}

func (f *farm) heartbeats(ctx context.Context) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f.mu.Lock()
		var names []string
		for name, n := range f.nodes {
			if n.alive.Load() {
				names = append(names, name)
			}
		}
		f.mu.Unlock()
		for _, name := range names {
			f.heartbeat(ctx, name)
		}
	}
}

// heartbeat renews the node's Ready condition when the clock moved on a second (its precision).
func (f *farm) heartbeat(ctx context.Context, name string) {
	obj, err := f.c.Get(ctx, nodeKind, "", name)
	if err != nil {
		return
	}
	n := obj.(*api.Node)
	now := api.NewTime(f.now())
	r := n.Condition(api.NodeReady)
	if r != nil && r.Status == api.ConditionTrue && r.LastHeartbeatTime.Equal(now.Time) {
		return
	}
	if r == nil || r.Status != api.ConditionTrue {
		n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "KubeletReady", LastTransitionTime: now}}
		r = &n.Status.Conditions[0]
	}
	r.LastHeartbeatTime = now
	n.ResourceVersion = ""
	f.c.UpdateStatus(ctx, n)
}

// kubelet watches every pod and reports those bound to a live node Running, and Ready unless
// their image is neverReady.
func (f *farm) kubelet(ctx context.Context) {
	for ctx.Err() == nil {
		ch, err := f.c.Watch(ctx, podKind, "", client.ListOptions{})
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		pods := map[string]*api.Pod{}
	stream:
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					break stream
				}
				p := ev.Object.(*api.Pod)
				if ev.Type == api.Deleted {
					delete(pods, keyOf(p))
					continue
				}
				pods[keyOf(p)] = p
				f.report(ctx, p)
			case <-f.resync:
				for _, p := range pods {
					f.report(ctx, p)
				}
			}
		}
	}
}

func (f *farm) report(ctx context.Context, p *api.Pod) {
	if p.Spec.NodeName == "" || !f.alive(p.Spec.NodeName) || !isPodActive(p) {
		return
	}
	ready := p.Spec.Containers[0].Image != neverReady
	if p.Status.Phase == api.PodRunning && isPodReady(p) == ready {
		return
	}
	cp := deepCopy(p)
	now := api.NewTime(f.now())
	status := api.ConditionFalse
	if ready {
		status = api.ConditionTrue
	}
	cp.Status.Phase = api.PodRunning
	cp.Status.HostIP, cp.Status.PodIP, cp.Status.StartTime = "10.0.0.1", "10.88.0.2", &now
	for _, typ := range []string{api.PodInitialized, api.ContainersReady, api.PodReady} {
		st := status
		if typ == api.PodInitialized {
			st = api.ConditionTrue
		}
		setPodCondition(cp, api.PodCondition{Type: typ, Status: st, LastTransitionTime: now})
	}
	f.c.UpdateStatus(ctx, cp) // a conflict means a newer version is on its way
}

// waitFor polls cond until it holds, failing the test with its last message after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", timeout, what, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (cl *cluster) pods(selector string) []*api.Pod {
	cl.t.Helper()
	objs, _, err := cl.c.List(context.Background(), podKind, "default", client.ListOptions{LabelSelector: selector})
	if err != nil {
		cl.t.Fatal(err)
	}
	out := make([]*api.Pod, len(objs))
	for i, o := range objs {
		out[i] = o.(*api.Pod)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (cl *cluster) get(k *api.Kind, name string) api.Object {
	cl.t.Helper()
	ns := "default"
	if !k.Namespaced {
		ns = ""
	}
	obj, err := cl.c.Get(context.Background(), k, ns, name)
	if err != nil {
		cl.t.Fatal(err)
	}
	return obj
}

func (cl *cluster) create(obj api.Object) api.Object {
	cl.t.Helper()
	out, err := cl.c.Create(context.Background(), obj)
	if err != nil {
		cl.t.Fatalf("create %s: %v", keyOf(obj), err)
	}
	return out
}

// update reads the named object, changes it with f and writes it, retrying on conflict.
func (cl *cluster) update(k *api.Kind, name string, f func(api.Object)) {
	cl.t.Helper()
	for {
		obj := cl.get(k, name)
		f(obj)
		_, err := cl.c.Update(context.Background(), obj)
		if err == nil {
			return
		}
		if !api.IsConflict(err) {
			cl.t.Fatalf("update %s: %v", name, err)
		}
	}
}

// delete deletes the named object, retrying when the API server reports a conflict (it compares
// revisions even on an unconditional delete, so a concurrent status write makes it fail).
func (cl *cluster) delete(k *api.Kind, name string) {
	cl.t.Helper()
	for {
		_, err := cl.c.Delete(context.Background(), k, "default", name, nil)
		if err == nil {
			return
		}
		if !api.IsConflict(err) {
			cl.t.Fatalf("delete %s: %v", name, err)
		}
	}
}

// readyPods describes the Ready pods of a selector: how many, and their images.
func (cl *cluster) readyPods(selector string) (n int, images map[string]int) {
	images = map[string]int{}
	for _, p := range cl.pods(selector) {
		if isPodReady(p) && isPodActive(p) {
			n++
			images[p.Spec.Containers[0].Image]++
		}
	}
	return n, images
}

// waitReady waits until the selector matches exactly n pods, all Ready and of image.
func (cl *cluster) waitReady(selector string, n int, image string, timeout time.Duration) {
	cl.t.Helper()
	waitFor(cl.t, timeout, fmt.Sprintf("%d ready pods of %s (%s)", n, image, selector), func() (bool, string) {
		pods := cl.pods(selector)
		ready, images := cl.readyPods(selector)
		return len(pods) == n && ready == n && images[image] == n, fmt.Sprintf("%d pods, %d ready, images %v", len(pods), ready, images)
	})
}

func newDeployment(name string, replicas int32, image string) *api.Deployment {
	labels := map[string]string{"app": name}
	return &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: image}}},
			},
		},
	}
}

func setReplicas(n int32) func(api.Object) {
	return func(o api.Object) { o.(*api.Deployment).Spec.Replicas = &n }
}

func setImage(image string) func(api.Object) {
	return func(o api.Object) { o.(*api.Deployment).Spec.Template.Spec.Containers[0].Image = image }
}

// events lists the events about the named object with a reason.
func (cl *cluster) events(name, reason string) []*api.Event {
	cl.t.Helper()
	objs, _, err := cl.c.List(context.Background(), mustKind("events"), "default", client.ListOptions{
		FieldSelector: "involvedObject.name=" + name + ",reason=" + reason})
	if err != nil {
		cl.t.Fatal(err)
	}
	out := make([]*api.Event, len(objs))
	for i, o := range objs {
		out[i] = o.(*api.Event)
	}
	return out
}
