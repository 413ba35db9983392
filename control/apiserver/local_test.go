package apiserver_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
)

// objectClient is what the HTTP client and the in-process one have in common.
type objectClient interface {
	Get(ctx context.Context, k *api.Kind, ns, name string) (api.Object, error)
	List(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) ([]api.Object, string, error)
	Create(ctx context.Context, obj api.Object) (api.Object, error)
	Update(ctx context.Context, obj api.Object) (api.Object, error)
	UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error)
	Delete(ctx context.Context, k *api.Kind, ns, name string, opts *api.DeleteOptions) (api.Object, error)
	Watch(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) (<-chan client.Event, error)
	Bind(ctx context.Context, p *api.Pod, node string) (api.Object, error)
}

var (
	_ objectClient = (*client.Client)(nil)
	_ objectClient = (*apiserver.Local)(nil)
)

// newClients starts a server over a fresh store and returns its HTTP client and its in-process one.
func newClients(t *testing.T) (*client.Client, *apiserver.Local, string) {
	t.Helper()
	ts := newTestServer(t)
	return ts.client, ts.srv.Local(), ts.url
}

// TestClientContract runs one script against the HTTP client and the in-process client: both
// must answer alike.
func TestClientContract(t *testing.T) {
	httpc, local, _ := newClients(t)
	for name, c := range map[string]objectClient{"http": httpc, "local": local} {
		t.Run(name, func(t *testing.T) { clientContract(t, c, name) })
	}
}

func clientContract(t *testing.T, c objectClient, name string) {
	ctx := context.Background()
	pods := kind(t, "pods")
	in := testPod("p-"+name, map[string]string{"client": name})
	created, err := c.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	p := created.(*api.Pod)
	if p.UID == "" || p.ResourceVersion == "" || p.Generation != 1 || p.Spec.RestartPolicy != api.RestartAlways {
		t.Errorf("created pod lacks server fields or defaults: %+v", p.ObjectMeta)
	}
	if name == "local" && (in.UID != "" || in.Spec.RestartPolicy != "") {
		t.Errorf("the caller's object was written to: %+v", in)
	}
	got, err := c.Get(ctx, pods, "default", p.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, created) {
		t.Errorf("create answered\n%+v\nget answers\n%+v", created, got)
	}
	if _, err := c.Create(ctx, testPod(p.Name, nil)); !api.IsAlreadyExists(err) {
		t.Errorf("second create: %v, want AlreadyExists", err)
	}
	if _, err := c.Get(ctx, pods, "default", "missing"); !api.IsNotFound(err) {
		t.Errorf("get missing: %v, want NotFound", err)
	}

	stale := *p
	stale.ResourceVersion = "1"
	if _, err := c.Update(ctx, &stale); !api.IsConflict(err) {
		t.Errorf("update at a stale resourceVersion: %v, want Conflict", err)
	}
	cp := *p
	deadline := int64(60)
	cp.Spec.ActiveDeadlineSeconds = &deadline
	updated, err := c.Update(ctx, &cp)
	if err != nil {
		t.Fatal(err)
	}
	if g := updated.GetObjectMeta().Generation; g != 2 {
		t.Errorf("generation %d after a spec change, want 2", g)
	}

	st := new(api.Pod)
	*st = *updated.(*api.Pod)
	st.Status.Phase = api.PodRunning
	st.Spec.ActiveDeadlineSeconds = nil // ignored: the status subresource changes nothing else
	withStatus, err := c.UpdateStatus(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	ws := withStatus.(*api.Pod)
	if ws.Status.Phase != api.PodRunning || ws.Spec.ActiveDeadlineSeconds == nil || ws.Generation != 2 {
		t.Errorf("after a status update: phase %q, deadline %v, generation %d", ws.Status.Phase, ws.Spec.ActiveDeadlineSeconds, ws.Generation)
	}

	bound, err := c.Bind(ctx, ws, "node-1")
	if err != nil {
		t.Fatal(err)
	}
	b := bound.(*api.Pod)
	if b.Spec.NodeName != "node-1" || !hasCondition(b, api.PodScheduled, api.ConditionTrue) || b.Status.Phase != api.PodRunning {
		t.Errorf("bound pod: node %q, conditions %+v, phase %q", b.Spec.NodeName, b.Status.Conditions, b.Status.Phase)
	}
	if got, err = c.Get(ctx, pods, "default", p.Name); err != nil || !reflect.DeepEqual(got, bound) {
		t.Errorf("bind answered\n%+v\nget answers\n%+v (%v)", bound, got, err)
	}
	if _, err := c.Bind(ctx, ws, "node-2"); !api.IsConflict(err) {
		t.Errorf("second bind: %v, want Conflict", err)
	}

	items, _, err := c.List(ctx, pods, "default", client.ListOptions{LabelSelector: "client=" + name})
	if err != nil || len(items) != 1 || items[0].GetObjectMeta().Name != p.Name {
		t.Errorf("list by label: %d items, %v", len(items), err)
	}
	if _, err := c.Delete(ctx, pods, "default", p.Name, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, pods, "default", p.Name); !api.IsNotFound(err) {
		t.Errorf("get after delete: %v, want NotFound", err)
	}
}

func hasCondition(p *api.Pod, typ, status string) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == typ {
			return c.Status == status
		}
	}
	return false
}

func TestBindingSubresource(t *testing.T) {
	c, _, url := newClients(t)
	p := testPod("web", nil)
	if _, err := c.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	path := url + "/api/v1/namespaces/default/pods/web/binding"
	for _, tc := range []struct {
		name, method, body string
		code               int
		want               string
	}{
		{"get", http.MethodGet, "", http.StatusMethodNotAllowed, "not supported"},
		{"other name", http.MethodPost, `{"kind":"Binding","metadata":{"name":"db"},"target":{"name":"n1"}}`, http.StatusBadRequest, "does not match"},
		{"unknown field", http.MethodPost, `{"kind":"Binding","metadata":{"name":"web"},"target":{"name":"n1"},"extra":1}`, http.StatusBadRequest, "unknown field"},
		{"not a node", http.MethodPost, `{"kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Pod","name":"n1"}}`, http.StatusUnprocessableEntity, "target.kind"},
		{"no node", http.MethodPost, `{"kind":"Binding","metadata":{"name":"web"},"target":{}}`, http.StatusUnprocessableEntity, "target.name"},
		{"other uid", http.MethodPost, `{"kind":"Binding","metadata":{"name":"web","uid":"x"},"target":{"name":"n1"}}`, http.StatusConflict, "modified"},
		{"bind", http.MethodPost, `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Node","name":"n1"}}`, http.StatusCreated, `"nodeName":"n1"`},
		{"again", http.MethodPost, `{"kind":"Binding","metadata":{"name":"web"},"target":{"name":"n2"}}`, http.StatusConflict, `already assigned to node \"n1\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawRequest(t, tc.method, path, adminToken, "application/json", []byte(tc.body))
			if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
				t.Errorf("%s: %d %s, want %d with %q", tc.name, resp.StatusCode, body, tc.code, tc.want)
			}
		})
	}
}

func TestLocalBatches(t *testing.T) {
	_, local, _ := newClients(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Watched, so that the writes leave their objects to the watchers.
	events, err := local.Watch(ctx, kind(t, "pods"), "", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]api.Object{}
	var pods []*api.Pod
	for _, name := range []string{"a", "b", "c"} {
		out, err := local.Create(ctx, testPod(name, nil))
		if err != nil {
			t.Fatal(err)
		}
		pods = append(pods, out.(*api.Pod))
	}
	if _, err := local.Bind(ctx, pods[1], "n0"); err != nil {
		t.Fatal(err)
	}
	gone := testPod("gone", nil)
	outs, errs := local.BindAll(ctx, []*api.Pod{pods[0], pods[1], gone, pods[2]}, []string{"n1", "n1", "n1", "n2"})
	if errs[0] != nil || errs[3] != nil || !api.IsConflict(errs[1]) || !api.IsNotFound(errs[2]) {
		t.Fatalf("BindAll errors %v", errs)
	}
	if outs[0].(*api.Pod).Spec.NodeName != "n1" || outs[3].(*api.Pod).Spec.NodeName != "n2" || outs[1] != nil {
		t.Errorf("BindAll answered %v", outs)
	}

	var sts []api.Object
	for _, p := range pods {
		sts = append(sts, &api.Pod{ObjectMeta: api.ObjectMeta{Name: p.Name, Namespace: "default"}, Status: api.PodStatus{Phase: api.PodRunning}})
	}
	sts = append(sts, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "gone", Namespace: "default"}})
	outs, errs = local.UpdateStatusAll(ctx, sts)
	for i := range pods {
		if errs[i] != nil || outs[i].(*api.Pod).Status.Phase != api.PodRunning || outs[i].(*api.Pod).Spec.NodeName == "" {
			t.Errorf("status of %s: %v, %+v", pods[i].Name, errs[i], outs[i])
		}
	}
	if !api.IsNotFound(errs[3]) {
		t.Errorf("status of a missing pod: %v, want NotFound", errs[3])
	}
	for len(seen) < len(pods) || seen["c"].(*api.Pod).Status.Phase != api.PodRunning {
		ev := next(t, events)
		seen[ev.Object.GetObjectMeta().Name] = ev.Object
	}
	for i, p := range pods {
		got, err := local.Get(ctx, kind(t, "pods"), "default", p.Name)
		if err != nil || !reflect.DeepEqual(got, outs[i]) || !reflect.DeepEqual(got, seen[p.Name]) {
			t.Errorf("UpdateStatusAll answered\n%+v\nthe watch saw\n%+v\nget answers\n%+v (%v)", outs[i], seen[p.Name], got, err)
		}
	}
}

// TestLocalWatch checks the in-process watch: the current objects first, then the changes, the
// same decoded object for every watcher.
func TestLocalWatch(t *testing.T) {
	_, local, _ := newClients(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pods := kind(t, "pods")
	if _, err := local.Create(ctx, testPod("before", nil)); err != nil {
		t.Fatal(err)
	}
	w1, err := local.Watch(ctx, pods, "default", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(t, w1); ev.Type != api.Added || ev.Object.GetObjectMeta().Name != "before" {
		t.Fatalf("first event %s %s, want ADDED before", ev.Type, ev.Object.GetObjectMeta().Name)
	}
	w2, err := local.Watch(ctx, pods, "default", client.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Create(ctx, testPod("web", map[string]string{"app": "web"})); err != nil {
		t.Fatal(err)
	}
	e1, e2 := next(t, w1), next(t, w2)
	if e1.Type != api.Added || e2.Type != api.Added || e1.Object.GetObjectMeta().Name != "web" {
		t.Fatalf("events %s %s, want ADDED web twice", e1.Type, e2.Type)
	}
	if e1.Object != e2.Object {
		t.Errorf("each watcher decoded the change itself")
	}
	// The server keeps a copy of what it wrote for the watchers: it must be what decoding gives.
	bound, err := local.Bind(ctx, e1.Object.(*api.Pod), "n1")
	if err != nil {
		t.Fatal(err)
	}
	e1 = next(t, w1)
	got, err := local.Get(ctx, pods, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if e1.Type != api.Modified || !reflect.DeepEqual(e1.Object, got) || !reflect.DeepEqual(bound, got) {
		t.Errorf("%s event\n%+v\nbind answered\n%+v\nget answers\n%+v", e1.Type, e1.Object, bound, got)
	}
}

func next(t *testing.T, ch <-chan client.Event) client.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event")
	}
	return client.Event{}
}
