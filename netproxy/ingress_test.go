package netproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

// ingressTestBackend is a real HTTP server that answers with its name and what it received.
func ingressTestBackend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"backend":           name,
			"path":              r.URL.Path,
			"host":              r.Host,
			"x-forwarded-for":   r.Header.Get("X-Forwarded-For"),
			"x-forwarded-proto": r.Header.Get("X-Forwarded-Proto"),
			"x-forwarded-host":  r.Header.Get("X-Forwarded-Host"),
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ingressTestFront starts an Ingress over the given Ingresses behind a real HTTP server.
func ingressTestFront(t *testing.T, d ServiceDialer, ingresses ...*api.Ingress) (*Ingress, *httptest.Server) {
	t.Helper()
	ing := NewIngress(IngressConfig{Dialer: d})
	ing.Update(ingresses)
	front := httptest.NewServer(ing)
	t.Cleanup(front.Close)
	return ing, front
}

func ingressTestGet(t *testing.T, url, host string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func ingressTestDecode(t *testing.T, body string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("backend answer %q: %v", body, err)
	}
	return m
}

func TestIngressProxiesByHostAndPath(t *testing.T) {
	d := newIngressTestDialer()
	for _, name := range []string{"web", "api", "wild"} {
		d.set("default", name, "80", ingressTestBackend(t, name).Listener.Addr().String())
	}
	d.set("default", "api", "http", ingressTestBackend(t, "api-by-name").Listener.Addr().String())
	_, front := ingressTestFront(t, d, routeTestIngress("site", 0, "wk", nil,
		routeTestRule("app.test",
			routeTestPath("/", api.PathTypePrefix, "web", 80),
			routeTestPath("/api", api.PathTypePrefix, "api", 80),
			routeTestPath("/named", api.PathTypeExact, "api", "http")),
		routeTestRule("*.apps.test", routeTestPath("/", api.PathTypePrefix, "wild", 80))))
	tests := []struct {
		host, path  string
		wantBackend string
	}{
		{"app.test", "/", "web"},
		{"app.test", "/api/v1/items?x=1", "api"},
		{"app.test", "/named", "api-by-name"},
		{"one.apps.test:8080", "/deep/path", "wild"},
	}
	for _, tt := range tests {
		t.Run(tt.host+tt.path, func(t *testing.T) {
			code, body := ingressTestGet(t, front.URL+tt.path, tt.host, nil)
			if code != http.StatusOK {
				t.Fatalf("status %d, body %q", code, body)
			}
			got := ingressTestDecode(t, body)
			if got["backend"] != tt.wantBackend {
				t.Errorf("backend %q, want %q", got["backend"], tt.wantBackend)
			}
			if wantPath, _, _ := strings.Cut(tt.path, "?"); got["path"] != wantPath {
				t.Errorf("backend saw path %q, want %q", got["path"], wantPath)
			}
			if got["host"] != tt.host {
				t.Errorf("backend saw Host %q, want %q", got["host"], tt.host)
			}
		})
	}
}

func TestIngressNoRuleIs404(t *testing.T) {
	d := newIngressTestDialer()
	_, front := ingressTestFront(t, d, routeTestIngress("site", 0, "", nil,
		routeTestRule("app.test", routeTestPath("/x", api.PathTypeExact, "web", 80))))
	code, body := ingressTestGet(t, front.URL+"/y", "nowhere.test:8080", nil)
	if code != http.StatusNotFound {
		t.Errorf("status %d, want 404", code)
	}
	if want := "no ingress rule for host \"nowhere.test\" and path \"/y\"\n"; body != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if n := d.dials.Load(); n != 0 {
		t.Errorf("%d dials for an unrouted request", n)
	}
}

func TestIngressUnavailableBackendIs503(t *testing.T) {
	d := newIngressTestDialer()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	d.set("default", "down", "80", closed.Listener.Addr().String())
	_, front := ingressTestFront(t, d, routeTestIngress("site", 0, "", nil,
		routeTestRule("", routeTestPath("/empty", api.PathTypePrefix, "empty", "http"),
			routeTestPath("/down", api.PathTypePrefix, "down", 80))))
	tests := []struct {
		path     string
		wantBody []string
	}{
		{"/empty", []string{`service "default/empty" port http is unavailable`, errTestNoEndpoints.Error()}},
		{"/down", []string{`service "default/down" port 80 is unavailable`, "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := ingressTestGet(t, front.URL+tt.path, "app.test", nil)
			if code != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", code)
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("body %q does not say %q", body, w)
				}
			}
		})
	}
}

func TestIngressForwardedHeaders(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "web", "80", ingressTestBackend(t, "web").Listener.Addr().String())
	_, front := ingressTestFront(t, d, routeTestIngress("site", 0, "", routeTestBackend("web", 80)))
	tests := []struct {
		name    string
		header  http.Header
		wantXFF string
	}{
		{"first hop", nil, "127.0.0.1"},
		{"appended", http.Header{"X-Forwarded-For": {"203.0.113.7"}}, "203.0.113.7, 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"spoofed.test"}}
			for k, v := range tt.header {
				h[k] = v
			}
			code, body := ingressTestGet(t, front.URL+"/", "app.test:8080", h)
			if code != http.StatusOK {
				t.Fatalf("status %d, body %q", code, body)
			}
			got := ingressTestDecode(t, body)
			want := map[string]string{
				"x-forwarded-for":   tt.wantXFF,
				"x-forwarded-proto": "http",
				"x-forwarded-host":  "app.test:8080",
				"host":              "app.test:8080",
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestIngressKeepsBackendConnectionsAlive(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "web", "80", ingressTestBackend(t, "web").Listener.Addr().String())
	_, front := ingressTestFront(t, d, routeTestIngress("site", 0, "", routeTestBackend("web", 80)))
	for range 5 {
		if code, body := ingressTestGet(t, front.URL+"/", "app.test", nil); code != http.StatusOK {
			t.Fatalf("status %d, body %q", code, body)
		}
	}
	if n := d.dials.Load(); n != 1 {
		t.Errorf("%d dials for 5 sequential requests, want 1", n)
	}
}

// ingressTestUpgradeBackend answers an Upgrade with 101, hijacks the connection and echoes raw bytes.
func ingressTestUpgradeBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		_, _ = io.Copy(conn, rw)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIngressPassesUpgradeThrough(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "ws", "80", ingressTestUpgradeBackend(t).Listener.Addr().String())
	_, front := ingressTestFront(t, d, routeTestIngress("site", 0, "",
		nil, routeTestRule("ws.test", routeTestPath("/socket", api.PathTypePrefix, "ws", 80))))

	conn, err := net.Dial("tcp", front.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET /socket HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Fatalf("answer %s, Upgrade %q; want 101 websocket", resp.Status, resp.Header.Get("Upgrade"))
	}
	for _, msg := range []string{"hello", "\x00\x01binary\xff"} {
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatal(err)
		}
		if string(buf) != msg {
			t.Errorf("echo %q, want %q", buf, msg)
		}
	}
}

func TestIngressUpdateReplacesRoutes(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "web", "80", ingressTestBackend(t, "web").Listener.Addr().String())
	ing, front := ingressTestFront(t, d)
	if code, _ := ingressTestGet(t, front.URL+"/", "app.test", nil); code != http.StatusNotFound {
		t.Fatalf("status %d before Update, want 404", code)
	}
	ing.Update([]*api.Ingress{routeTestIngress("site", 0, "", routeTestBackend("web", 80))})
	if code, body := ingressTestGet(t, front.URL+"/", "app.test", nil); code != http.StatusOK {
		t.Fatalf("status %d after Update, body %q", code, body)
	}
	ing.Update(nil)
	if code, _ := ingressTestGet(t, front.URL+"/", "app.test", nil); code != http.StatusNotFound {
		t.Fatalf("status %d after the Ingress went, want 404", code)
	}
}

func TestIngressServeStopsWithContext(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "web", "80", ingressTestBackend(t, "web").Listener.Addr().String())
	ing := NewIngress(IngressConfig{Dialer: d})
	ing.Update([]*api.Ingress{routeTestIngress("site", 0, "", routeTestBackend("web", 80))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ing.Serve(ctx, ln) }()
	if code, body := ingressTestGet(t, "http://"+ln.Addr().String()+"/", "app.test", nil); code != http.StatusOK {
		t.Fatalf("status %d, body %q", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("still listening after cancel")
	}
}

func TestIngressRunReportsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = NewIngress(IngressConfig{Dialer: newIngressTestDialer()}).Run(t.Context(), ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "ingress listen on") {
		t.Errorf("Run on a busy address = %v, want a listen error", err)
	}
}
