package wasmrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// httpGet fetches url from the host, retrying while the guest starts.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := client.Get(url)
		if err != nil {
			last = err
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	t.Fatalf("get %s: %v", url, last)
	return ""
}

func TestServeHTTP(t *testing.T) {
	for _, cmd := range []string{"serve", "serve-sdk"} {
		t.Run(cmd, func(t *testing.T) {
			s := newSandbox(t, SandboxConfig{Name: "web"})
			probe(t, s, ContainerConfig{Ports: []int{8080}}, cmd, "a")
			for i := range 3 { // several connections, one after another
				if got, want := httpGet(t, "http://"+s.cfg.Addr.String()+":8080/"), "200 hello from web a"; got != want {
					t.Fatalf("request %d: got %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestServeConcurrently(t *testing.T) {
	s := newSandbox(t, SandboxConfig{Name: "web"})
	probe(t, s, ContainerConfig{Ports: []int{8080}}, "serve-sdk")
	url := "http://" + s.cfg.Addr.String() + ":8080/"
	httpGet(t, url) // started
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			resp, err := http.Get(url)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if b, _ := io.ReadAll(resp.Body); string(b) != "hello from web " {
				errs <- fmt.Errorf("body %q", b)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestListenFDs(t *testing.T) {
	s := newSandbox(t, SandboxConfig{Volumes: map[string]string{"data": t.TempDir()}})
	c := ContainerConfig{
		Ports:  []int{9001, 9000},
		Mounts: []Mount{{Volume: "data", Path: "/data"}},
	}
	// stdio, then /data, then /net, then the listeners in declared order.
	if _, out := runProbe(t, s, c, "exit", "0"); !strings.Contains(out, "WK_LISTEN_FDS=9001=5,9000=6\n") {
		t.Errorf("stdout %q", out)
	}
	for _, cmd := range []string{"serve", "serve-sdk"} {
		t.Run(cmd, func(t *testing.T) {
			c.Env = []string{"PROBE_PORT=9000"}
			p, _, _ := probe(t, s, c, cmd)
			if got := httpGet(t, "http://"+s.cfg.Addr.String()+":9000/"); got != "200 hello from pod " {
				t.Errorf("got %q", got)
			}
			p.Kill()
			p.Wait()
		})
	}
}

func TestBlockingIO(t *testing.T) {
	s := newSandbox(t, SandboxConfig{})
	p, stdout, _ := probe(t, s, ContainerConfig{Ports: []int{7000}}, "echo-blocking")
	conn, err := net.Dial("tcp", s.cfg.Addr.String()+":7000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg := strings.Repeat("ping ", 100000) // more than the socket buffers hold
	go func() {
		fmt.Fprint(conn, msg)
		conn.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != msg {
		t.Errorf("echo: %d bytes, %v; want %d bytes", len(got), err, len(msg))
	}
	if st := waitExit(t, p, 10*time.Second); st.Reason != ReasonCompleted || stdout.String() != "echoed\n" {
		t.Errorf("status %+v, stdout %q", st, stdout)
	}
}

// TestKillClosesConnections checks that the connections of a killed server
// are closed, so clients do not hang on them.
func TestKillClosesConnections(t *testing.T) {
	s := newSandbox(t, SandboxConfig{})
	p, _, _ := probe(t, s, ContainerConfig{Ports: []int{8080}}, "serve-sdk")
	addr := s.cfg.Addr.String() + ":8080"
	httpGet(t, "http://"+addr+"/")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Read(make([]byte, 1024)); err != nil { // the response; the connection stays open
		t.Fatal(err)
	}
	p.Kill()
	p.Wait()
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read after kill = %d, %v; want EOF", n, err)
	}
}

func TestLocalhost(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"raw /net file", []string{"get", "localhost:8080", "/"}, "200 hello from pod"},
		{"raw 127.0.0.1", []string{"get", "127.0.0.1:8080", "/"}, "200 hello from pod"},
		{"guest transport", []string{"get-sdk", "http://localhost:8080/"}, "hello from pod"},
	}
	s := newSandbox(t, SandboxConfig{})
	probe(t, s, ContainerConfig{Name: "server", Ports: []int{8080}}, "serve-sdk")
	httpGet(t, "http://"+s.cfg.Addr.String()+":8080/")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, stdout, stderr := probe(t, s, ContainerConfig{Name: "client"}, tt.args...)
			if st := waitExit(t, p, 10*time.Second); st.Reason != ReasonCompleted {
				t.Fatalf("client %+v: %s %s", st, stdout, stderr)
			}
			if got := strings.TrimSpace(stdout.String()); got != tt.want+" " && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGuestToGuestThroughNet(t *testing.T) {
	s := newSandbox(t, SandboxConfig{Name: "both"})
	probe(t, s, ContainerConfig{Name: "back", Ports: []int{8081}}, "serve-sdk", "back")
	probe(t, s, ContainerConfig{Name: "front", Ports: []int{8080}}, "serve-sdk", "front")
	base := "http://" + s.cfg.Addr.String()
	httpGet(t, base+":8081/")
	if got, want := httpGet(t, base+":8080/proxy?to=localhost:8081"), "200 hello from both back"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// recordingDialer dials a fixed address and records what it was asked.
type recordingDialer struct {
	to   string
	mu   sync.Mutex
	asks []string
}

func (d *recordingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.asks = append(d.asks, addr)
	d.mu.Unlock()
	return (&net.Dialer{}).DialContext(ctx, network, d.to)
}

func TestDialer(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "from the service")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	d := &recordingDialer{to: ln.Addr().String()}
	s := newSandbox(t, SandboxConfig{Dialer: d})
	p, stdout, stderr := probe(t, s, ContainerConfig{}, "get", "web.default:80", "/")
	if st := waitExit(t, p, 10*time.Second); st.Reason != ReasonCompleted {
		t.Fatalf("%+v: %s %s", st, stdout, stderr)
	}
	if got := stdout.String(); got != "200 from the service" {
		t.Errorf("got %q", got)
	}
	if len(d.asks) != 1 || d.asks[0] != "web.default:80" {
		t.Errorf("dialer asked for %q, want [web.default:80]", d.asks)
	}
}

// fakeResolver answers every name with one address.
type fakeResolver netip.Addr

func (r fakeResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.Addr(r)}, nil
}

func TestDestination(t *testing.T) {
	pod := netip.MustParseAddr("127.77.9.9")
	cluster := []netip.Prefix{netip.MustParsePrefix("10.96.0.0/16"), netip.MustParsePrefix("10.88.0.0/16")}
	tests := []struct {
		name     string
		deny     bool
		resolver netip.Addr
		host     string
		want     string
		wantErr  error
	}{
		{"localhost is the pod", false, netip.Addr{}, "localhost", "127.77.9.9", nil},
		{"127.0.0.1 is the pod", true, netip.Addr{}, "127.0.0.1", "127.77.9.9", nil},
		{"::1 is the pod", true, netip.Addr{}, "::1", "127.77.9.9", nil},
		{"other loopback allowed", true, netip.Addr{}, "127.77.1.2", "127.77.1.2", nil},
		{"service address allowed", true, netip.Addr{}, "10.96.0.10", "10.96.0.10", nil},
		{"pod address allowed", true, netip.Addr{}, "10.88.3.4", "10.88.3.4", nil},
		{"outside denied", true, netip.Addr{}, "192.0.2.1", "", errEgressDenied},
		{"outside allowed without deny", false, netip.Addr{}, "192.0.2.1", "192.0.2.1", nil},
		{"name kept without deny", false, netip.Addr{}, "web.default", "web.default", nil},
		{"internal name resolved", true, netip.MustParseAddr("10.96.1.1"), "web.default", "10.96.1.1", nil},
		{"outside name denied", true, netip.MustParseAddr("192.0.2.7"), "example.com", "", errEgressDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Sandbox{cfg: SandboxConfig{Addr: pod, DenyEgress: tt.deny, Internal: cluster, Resolver: fakeResolver(tt.resolver)}}
			got, err := s.destination(context.Background(), tt.host)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("destination(%q) = %q, %v; want %q, %v", tt.host, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDenyEgress(t *testing.T) {
	s := newSandbox(t, SandboxConfig{DenyEgress: true})
	p, stdout, _ := probe(t, s, ContainerConfig{}, "get", "192.0.2.1:80", "/")
	if st := waitExit(t, p, 10*time.Second); st.Code != 1 {
		t.Fatalf("status %+v, want exit 1", st)
	}
	if got := stdout.String(); !strings.Contains(strings.ToLower(got), "permission denied") {
		t.Errorf("got %q, want permission denied", got)
	}
}
