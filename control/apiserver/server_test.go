package apiserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/store"
)

const adminToken = "admin-secret"

// testServer is a real API server on 127.0.0.1:0 over a badger store in a temp dir.
type testServer struct {
	url    string
	store  *store.Store
	srv    *apiserver.Server
	client *client.Client
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	st := openStore(t)
	acfg := apiserver.DefaultConfig()
	acfg.AdminToken, acfg.JoinToken = adminToken, joinToken
	acfg.MaxRequestBytes = 64 << 10
	srv := apiserver.New(acfg, st)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
	})
	c, err := client.New(client.Config{Server: hs.URL, Token: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{url: hs.URL, store: st, srv: srv, client: c}
	ts.mustCreate(t, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "default"}})
	return ts
}

// openStore opens a badger store in a temp dir, closed when the test ends.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.Dir = t.TempDir()
	st, err := store.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func (ts *testServer) mustCreate(t *testing.T, obj api.Object) api.Object {
	t.Helper()
	out, err := ts.client.Create(context.Background(), obj)
	if err != nil {
		t.Fatalf("create %T: %v", obj, err)
	}
	return out
}

func kind(t *testing.T, name string) *api.Kind {
	t.Helper()
	k, err := api.ResourceFor(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testPod(name string, labels map[string]string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "hello.wasm"}}},
	}
}

func testDeployment(name string, replicas int32, image string) *api.Deployment {
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

func rawRequest(t *testing.T, method, url, token, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestAuth(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"no token", "/api/v1/namespaces/default/pods", "", http.StatusUnauthorized},
		{"wrong token", "/api/v1/namespaces/default/pods", "nope", http.StatusUnauthorized},
		{"admin token", "/api/v1/namespaces/default/pods", adminToken, http.StatusOK},
		{"join token", "/api/v1/nodes", "join-secret", http.StatusOK},
		{"version needs a token", "/version", "", http.StatusUnauthorized},
		{"health is open", "/healthz", "", http.StatusOK},
		{"blobs need a token", "/wk/v1/blobs/sha256:" + strings.Repeat("0", 64), "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, http.MethodGet, ts.url+tt.path, tt.token, "", nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("GET %s: got %d %s, want %d", tt.path, resp.StatusCode, body, tt.want)
			}
			if tt.want == http.StatusUnauthorized {
				var st api.Status
				if err := json.Unmarshal(body, &st); err != nil || st.Reason != api.ReasonUnauthorized {
					t.Fatalf("401 body is not an Unauthorized Status: %s", body)
				}
			}
		})
	}
}

func TestCreateGetAndServerFields(t *testing.T) {
	ts := newTestServer(t)
	created := ts.mustCreate(t, testPod("web", nil)).(*api.Pod)
	if created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() || created.Generation != 1 {
		t.Fatalf("server fields not set: %+v", created.ObjectMeta)
	}
	if created.Spec.RestartPolicy != api.RestartAlways {
		t.Fatalf("defaults not applied: restartPolicy %q", created.Spec.RestartPolicy)
	}
	got, err := ts.client.Get(context.Background(), kind(t, "pods"), "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetObjectMeta().ResourceVersion != created.ResourceVersion {
		t.Fatalf("get resourceVersion %s, create said %s", got.GetObjectMeta().ResourceVersion, created.ResourceVersion)
	}
	_, err = ts.client.Create(context.Background(), testPod("web", nil))
	if !api.IsAlreadyExists(err) {
		t.Fatalf("second create: got %v, want AlreadyExists", err)
	}
	_, err = ts.client.Get(context.Background(), kind(t, "pods"), "default", "nope")
	if !api.IsNotFound(err) {
		t.Fatalf("get missing: got %v, want NotFound", err)
	}
}

func TestCreateInNamespaceThatDoesNotExist(t *testing.T) {
	ts := newTestServer(t)
	p := testPod("web", nil)
	p.Namespace = "ghost"
	_, err := ts.client.Create(context.Background(), p)
	if !api.IsNotFound(err) || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("got %v, want namespace \"ghost\" not found", err)
	}
}

func TestUpdateConflictGenerationAndStatus(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	d := ts.mustCreate(t, testDeployment("web", 2, "a.wasm")).(*api.Deployment)
	stale := d.ResourceVersion

	d.Spec.Template.Spec.Containers[0].Image = "b.wasm"
	upd, err := ts.client.Update(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	u := upd.(*api.Deployment)
	if u.Generation != 2 {
		t.Fatalf("spec change: generation %d, want 2", u.Generation)
	}

	d.ResourceVersion = stale
	if _, err := ts.client.Update(ctx, d); !api.IsConflict(err) {
		t.Fatalf("update on stale resourceVersion: got %v, want Conflict", err)
	}

	u.Status.ReadyReplicas = 2
	st, err := ts.client.UpdateStatus(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*api.Deployment)
	if s.Status.ReadyReplicas != 2 || s.Generation != 2 {
		t.Fatalf("status update: ready %d generation %d, want 2 and 2", s.Status.ReadyReplicas, s.Generation)
	}

	s.Status.ReadyReplicas = 0
	s.Labels = map[string]string{"tier": "web"}
	main, err := ts.client.Update(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if m := main.(*api.Deployment); m.Status.ReadyReplicas != 2 || m.Generation != 2 {
		t.Fatalf("main-resource update changed status or generation: ready %d generation %d", m.Status.ReadyReplicas, m.Generation)
	}
}

func TestApply(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	apply := func(obj api.Object) (api.Object, string) {
		t.Helper()
		out, result, err := ts.client.Apply(ctx, obj)
		if err != nil {
			t.Fatal(err)
		}
		return out, result
	}
	if _, r := apply(testDeployment("web", 3, "a.wasm")); r != "created" {
		t.Fatalf("first apply: %s, want created", r)
	}
	if _, r := apply(testDeployment("web", 3, "a.wasm")); r != "unchanged" {
		t.Fatalf("same apply: %s, want unchanged", r)
	}
	out, r := apply(testDeployment("web", 3, "b.wasm"))
	if r != "configured" || out.GetObjectMeta().Generation != 2 {
		t.Fatalf("changed apply: %s generation %d, want configured and 2", r, out.GetObjectMeta().Generation)
	}

	// Status written by a controller survives an apply.
	d := out.(*api.Deployment)
	d.Status.ReadyReplicas = 3
	if _, err := ts.client.UpdateStatus(ctx, d); err != nil {
		t.Fatal(err)
	}
	out, r = apply(testDeployment("web", 4, "b.wasm"))
	if r != "configured" || out.(*api.Deployment).Status.ReadyReplicas != 3 {
		t.Fatalf("apply dropped status: %s ready %d", r, out.(*api.Deployment).Status.ReadyReplicas)
	}

	// Labels set by someone else survive an apply that does not mention them.
	cur := out.(*api.Deployment)
	cur.Labels = map[string]string{"team": "edge"}
	if _, err := ts.client.Update(ctx, cur); err != nil {
		t.Fatal(err)
	}
	out, r = apply(testDeployment("web", 4, "b.wasm"))
	if r != "unchanged" || out.GetObjectMeta().Labels["team"] != "edge" {
		t.Fatalf("apply after foreign label: %s labels %v", r, out.GetObjectMeta().Labels)
	}
}

func TestInvalidObjectsAreRejectedWithTheirFields(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name, body, field string
	}{
		{"container without image", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}}`, "spec.containers[0].image"},
		{"unknown field", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","imagee":"y"}]}}`, "imagee"},
		{"string for a number", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","ports":[{"containerPort":"eighty"}]}]}}`, "containerPort"},
		{"duplicate container names", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"},{"name":"a","image":"y"}]}}`, "spec.containers[1].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, http.MethodPost, ts.url+"/api/v1/namespaces/default/pods", adminToken, "application/json", []byte(tt.body))
			if resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 422 or 400", resp.StatusCode, body)
			}
			if !strings.Contains(string(body), tt.field) {
				t.Fatalf("error does not name %s: %s", tt.field, body)
			}
			if _, err := ts.store.Get("/pods/default/p"); err == nil {
				t.Fatal("an invalid pod was stored")
			}
		})
	}
}

func TestRequestSizeLimit(t *testing.T) {
	ts := newTestServer(t)
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "big"}, Data: map[string]string{"k": strings.Repeat("x", 100<<10)}}
	_, err := ts.client.Create(context.Background(), cm)
	if api.ReasonOf(err) != api.ReasonTooLarge {
		t.Fatalf("got %v, want RequestEntityTooLarge", err)
	}
}

func TestListSelectors(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreate(t, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "other"}})
	ts.mustCreate(t, testPod("a", map[string]string{"app": "web"}))
	b := testPod("b", map[string]string{"app": "db"})
	b.Spec.NodeName = "node1"
	ts.mustCreate(t, b)
	c := testPod("c", map[string]string{"app": "web"})
	c.Namespace = "other"
	ts.mustCreate(t, c)

	pods := kind(t, "pods")
	tests := []struct {
		name string
		ns   string
		opts client.ListOptions
		want []string
	}{
		{"namespace", "default", client.ListOptions{}, []string{"a", "b"}},
		{"all namespaces", "", client.ListOptions{}, []string{"a", "b", "c"}},
		{"label", "", client.ListOptions{LabelSelector: "app=web"}, []string{"a", "c"}},
		{"label not equal", "default", client.ListOptions{LabelSelector: "app!=web"}, []string{"b"}},
		{"field", "", client.ListOptions{FieldSelector: "spec.nodeName=node1"}, []string{"b"}},
		{"field and label", "", client.ListOptions{FieldSelector: "metadata.namespace=other", LabelSelector: "app in (web,db)"}, []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, rv, err := ts.client.List(ctx, pods, tt.ns, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range objs {
				names = append(names, o.GetObjectMeta().Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") || rv == "" {
				t.Fatalf("got %v at rv %q, want %v", names, rv, tt.want)
			}
		})
	}
	_, _, err := ts.client.List(ctx, pods, "", client.ListOptions{FieldSelector: "spec.bogus=1"})
	if err == nil || !strings.Contains(err.Error(), "spec.bogus") {
		t.Fatalf("unsupported field selector: got %v", err)
	}
}

func TestWatch(t *testing.T) {
	ts := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pods := kind(t, "pods")
	first := ts.mustCreate(t, testPod("a", map[string]string{"app": "web"}))

	// From a revision: the changes after it, then live ones, through the label filter.
	events, err := ts.client.Watch(ctx, pods, "default", client.ListOptions{LabelSelector: "app=web", ResourceVersion: first.GetObjectMeta().ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	ts.mustCreate(t, testPod("b", map[string]string{"app": "web"}))
	ts.mustCreate(t, testPod("x", map[string]string{"app": "db"}))
	got, _ := ts.client.Get(ctx, pods, "default", "b")
	got.GetObjectMeta().Labels["app"] = "db"
	if _, err := ts.client.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.client.Delete(ctx, pods, "default", "a", nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"ADDED b", "DELETED b", "DELETED a"}
	for i, w := range want {
		select {
		case ev := <-events:
			if g := ev.Type + " " + ev.Object.GetObjectMeta().Name; g != w {
				t.Fatalf("event %d: got %q, want %q", i, g, w)
			}
		case <-ctx.Done():
			t.Fatalf("event %d (%s) never came", i, w)
		}
	}

	// Without a revision: the current objects first, as ADDED.
	events, err = ts.client.Watch(ctx, pods, "default", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var initial []string
	for range 2 {
		ev := <-events
		initial = append(initial, ev.Type+" "+ev.Object.GetObjectMeta().Name)
	}
	if strings.Join(initial, ",") != "ADDED b,ADDED x" {
		t.Fatalf("initial events %v", initial)
	}
}

func TestWatchFromCompactedRevisionIsGone(t *testing.T) {
	ts := newTestServer(t)
	for _, n := range []string{"a", "b", "c"} {
		ts.mustCreate(t, testPod(n, nil))
	}
	if err := ts.store.Compact(ts.store.Rev() - 1); err != nil {
		t.Fatal(err)
	}
	_, err := ts.client.Watch(context.Background(), kind(t, "pods"), "default", client.ListOptions{ResourceVersion: "1"})
	if !api.IsGone(err) {
		t.Fatalf("got %v, want 410 Gone", err)
	}
}

func TestDeleteNamespaceRemovesItsObjects(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreate(t, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team"}})
	p := testPod("a", nil)
	p.Namespace = "team"
	ts.mustCreate(t, p)
	if _, err := ts.client.Delete(ctx, kind(t, "namespaces"), "", "team", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.client.Get(ctx, kind(t, "pods"), "team", "a"); !api.IsNotFound(err) {
		t.Fatalf("pod of a deleted namespace: %v", err)
	}
	if _, err := ts.client.Delete(ctx, kind(t, "namespaces"), "", "default", nil); api.ReasonOf(err) != api.ReasonForbidden {
		t.Fatalf("deleting default: got %v, want Forbidden", err)
	}
}

func TestBlobs(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	module := []byte("\x00asm\x01\x00\x00\x00")
	digest, err := ts.client.PutBlob(ctx, module)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ts.client.OpenBlob(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, module) {
		t.Fatalf("blob round trip: got %q", got)
	}
	wrong := "sha256:" + strings.Repeat("a", 64)
	resp, body := rawRequest(t, http.MethodPut, ts.url+"/wk/v1/blobs/"+wrong, adminToken, "application/wasm", module)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "does not match") {
		t.Fatalf("mismatched digest: %d %s", resp.StatusCode, body)
	}
	if ts.store.HasBlob(wrong) {
		t.Fatal("a blob with a wrong digest was kept")
	}
}
