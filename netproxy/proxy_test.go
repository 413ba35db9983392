package netproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controltest"
)

const proxyTestSecret = "proxy-test-secret"

// proxyTestCluster is a control plane on 127.0.0.1 and one proxy per "node", in process. Node i
// (from 1) has the pod CIDR 10.88.i.0/24.
type proxyTestCluster struct {
	client  *client.Client
	proxies []*Proxy
	stop    func() // stops the proxies and waits for them; the test's end does too
}

// startProxyTestCluster starts the control plane and the proxies of nodes nodes, each configured
// by configure (if any) after the defaults.
func startProxyTestCluster(t *testing.T, nodes int, configure ...func(*Config)) *proxyTestCluster {
	t.Helper()
	_, c := controltest.Start(t, control.Config{})
	// The proxies stop first (their cleanup runs before the server's): the server's shutdown would
	// otherwise wait for their watches.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	tc := &proxyTestCluster{client: c, stop: func() { cancel(); wg.Wait() }}
	t.Cleanup(tc.stop)
	for i := 1; i <= nodes; i++ {
		cfg := DefaultConfig()
		cfg.NodeName, cfg.Client, cfg.TunnelAddr, cfg.Secret = proxyTestNode(i), c, "127.0.0.1:0", proxyTestSecret
		for _, f := range configure {
			f(&cfg)
		}
		p := New(cfg)
		if err := p.Listen(); err != nil {
			t.Fatal(err)
		}
		n := &api.Node{ObjectMeta: api.ObjectMeta{Name: cfg.NodeName, Annotations: map[string]string{TunnelAddrAnnotation: p.TunnelAddr()}},
			Spec: api.NodeSpec{PodCIDR: "10.88." + string(rune('0'+i)) + ".0/24"}}
		proxyTestCreate(t, c, n)
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(ctx) }()
		tc.proxies = append(tc.proxies, p)
	}
	return tc
}

func proxyTestNode(i int) string { return "node-" + string(rune('a'+i-1)) }

func proxyTestCreate(t *testing.T, c *client.Client, obj api.Object) {
	t.Helper()
	if _, err := c.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// proxyTestPod listens as pod ip would on its node (at its loopback twin) and answers each
// connection with name and a newline, then echoes.
func proxyTestPod(t *testing.T, ip, name string) netip.AddrPort {
	t.Helper()
	pod := netip.MustParseAddr(ip)
	ln, err := net.Listen("tcp", netip.AddrPortFrom(LoopbackAddr(pod), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	serveTestConns(t, ln, func(c net.Conn) {
		io.WriteString(c, name+"\n")
		io.Copy(c, c)
	})
	return netip.AddrPortFrom(pod, ln.Addr().(*net.TCPAddr).AddrPort().Port())
}

// proxyTestService creates Service ns/name on port 80 (ClusterIP ip) and its Endpoints: ready
// pods, each "IP:PORT@NODE" (NODE optional).
func proxyTestService(t *testing.T, c *client.Client, ns, name, ip string, annotations map[string]string, ready ...string) {
	t.Helper()
	proxyTestCreate(t, c, &api.Service{ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations},
		Spec: api.ServiceSpec{ClusterIP: ip, Ports: []api.ServicePort{{Name: "http", Port: 80, Protocol: "TCP"}}}})
	proxyTestCreate(t, c, proxyTestEndpoints(ns, name, ready...))
}

func proxyTestEndpoints(ns, name string, ready ...string) *api.Endpoints {
	e := &api.Endpoints{ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns}}
	for _, r := range ready {
		addr, node, _ := strings.Cut(r, "@")
		ap := netip.MustParseAddrPort(addr)
		a := api.EndpointAddress{IP: ap.Addr().String()}
		if node != "" {
			a.NodeName = &node
		}
		e.Subsets = append(e.Subsets, api.EndpointSubset{Addresses: []api.EndpointAddress{a},
			Ports: []api.EndpointPort{{Name: "http", Port: int32(ap.Port()), Protocol: "TCP"}}})
	}
	return e
}

// waitBackends waits until p sees n ready endpoints behind ns/name.
func waitBackends(t *testing.T, p *Proxy, ns, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if sv, ok := p.table.Load().services[svcKey{ns, name}]; ok {
			total := 0
			for _, bs := range sv.backends {
				total += len(bs)
			}
			if total == n {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the proxy never saw %d endpoints behind %s/%s", n, ns, name)
}

// hello dials addr from a pod of ns and returns the first line the far end says, with the
// connection (still open).
func hello(t *testing.T, pn PodNet, addr string) (string, net.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pn.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read from %s: %v", addr, err)
	}
	return strings.TrimSpace(line), c
}

func helloClosed(t *testing.T, pn PodNet, addr string) string {
	t.Helper()
	s, c := hello(t, pn, addr)
	c.Close()
	return s
}

func TestLookupServiceNames(t *testing.T) {
	tc := startProxyTestCluster(t, 1)
	proxyTestCreate(t, tc.client, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team"}})
	proxyTestService(t, tc.client, "default", "hello", "10.96.0.50", nil)
	proxyTestService(t, tc.client, "team", "db", "10.96.0.51", nil)
	p := tc.proxies[0]
	waitBackends(t, p, "default", "hello", 0)
	waitBackends(t, p, "team", "db", 0)
	pn := p.ForPod("default")
	for _, tt := range []struct{ name, want string }{
		{"hello", "10.96.0.50"},
		{"hello.default", "10.96.0.50"},
		{"hello.default.svc", "10.96.0.50"},
		{"hello.default.svc.cluster.local", "10.96.0.50"},
		{"hello.default.svc.cluster.local.", "10.96.0.50"},
		{"db.team", "10.96.0.51"},
		{"db.team.svc.cluster.local", "10.96.0.51"},
		{"10.1.2.3", "10.1.2.3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ips, err := pn.LookupNetIP(context.Background(), "ip", tt.name)
			if err != nil || len(ips) != 1 || ips[0].String() != tt.want {
				t.Fatalf("LookupNetIP(%q) = %v, %v; want %s", tt.name, ips, err, tt.want)
			}
		})
	}
	for _, name := range []string{"db", "nope", "nope.default.svc", "hello.team.svc.cluster.local", "x.cluster.local"} {
		t.Run("not found "+name, func(t *testing.T) {
			_, err := pn.LookupNetIP(context.Background(), "ip", name)
			var de *net.DNSError
			if !errors.As(err, &de) || !de.IsNotFound {
				t.Fatalf("LookupNetIP(%q): %v; want a not-found *net.DNSError", name, err)
			}
		})
	}
}

func TestRoundRobin(t *testing.T) {
	tc := startProxyTestCluster(t, 1)
	a := proxyTestPod(t, "10.88.1.10", "a")
	b := proxyTestPod(t, "10.88.1.11", "b")
	proxyTestService(t, tc.client, "default", "hello", "10.96.0.60", nil, a.String(), b.String())
	p := tc.proxies[0]
	waitBackends(t, p, "default", "hello", 2)
	pn := p.ForPod("default")
	seen := map[string]int{}
	var last string
	for i, addr := range []string{"hello:80", "10.96.0.60:80", "hello.default:80", "hello.default.svc.cluster.local:80"} {
		got := helloClosed(t, pn, addr)
		if i > 0 && got == last {
			t.Fatalf("dial %d went to %s again", i, got)
		}
		seen[got]++
		last = got
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Fatalf("connections per endpoint: %v; want 2 each", seen)
	}
	if _, err := p.DialService(context.Background(), "default", "hello", "http"); err != nil {
		t.Fatalf("DialService by port name: %v", err)
	}
}

func TestLeastConnections(t *testing.T) {
	tc := startProxyTestCluster(t, 1)
	a := proxyTestPod(t, "10.88.1.10", "a")
	b := proxyTestPod(t, "10.88.1.11", "b")
	proxyTestService(t, tc.client, "default", "hello", "10.96.0.61", map[string]string{LoadBalancerAnnotation: "least-connections"}, a.String(), b.String())
	p := tc.proxies[0]
	waitBackends(t, p, "default", "hello", 2)
	pn := p.ForPod("default")
	first, c1 := hello(t, pn, "hello:80")
	second, c2 := hello(t, pn, "hello:80")
	defer c2.Close()
	if first == second {
		t.Fatalf("both open connections went to %s", first)
	}
	c1.Close()
	// first has no open connection, second one: every new one goes to first, where round robin
	// would alternate.
	for i := 0; i < 3; i++ {
		if got := helloClosed(t, pn, "hello:80"); got != first {
			t.Fatalf("dial %d went to %s; want %s, the least loaded", i, got, first)
		}
	}
}

func TestRetryDeadEndpoint(t *testing.T) {
	tc := startProxyTestCluster(t, 1)
	alive := proxyTestPod(t, "10.88.1.10", "alive")
	dead := proxyTestPod(t, "10.88.1.11", "dead")
	p := tc.proxies[0]
	// Close dead's listener: its address now refuses connections.
	c, err := net.Dial("tcp", netip.AddrPortFrom(LoopbackAddr(dead.Addr()), dead.Port()).String())
	if err == nil {
		c.Close()
	}
	deadAddr := netip.AddrPortFrom(netip.MustParseAddr("10.88.1.11"), proxyTestFreePort(t, "127.88.1.11"))
	proxyTestService(t, tc.client, "default", "hello", "10.96.0.62", nil, deadAddr.String(), alive.String())
	waitBackends(t, p, "default", "hello", 2)
	pn := p.ForPod("default")
	for i := 0; i < 4; i++ {
		if got := helloClosed(t, pn, "hello:80"); got != "alive" {
			t.Fatalf("dial %d reached %s", i, got)
		}
	}
}

// proxyTestFreePort is a port nothing listens on at host.
func proxyTestFreePort(t *testing.T, host string) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).AddrPort().Port()
	ln.Close()
	return port
}

func TestNoReadyEndpoints(t *testing.T) {
	tc := startProxyTestCluster(t, 1)
	proxyTestCreate(t, tc.client, &api.Service{ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: api.ServiceSpec{ClusterIP: "10.96.0.63", Ports: []api.ServicePort{{Port: 80}}}})
	proxyTestCreate(t, tc.client, &api.Endpoints{ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default"},
		Subsets: []api.EndpointSubset{{NotReadyAddresses: []api.EndpointAddress{{IP: "10.88.1.10"}}, Ports: []api.EndpointPort{{Port: 8080}}}}})
	p := tc.proxies[0]
	waitBackends(t, p, "default", "hello", 0)
	for _, addr := range []string{"hello:80", "10.96.0.63:80"} {
		_, err := p.ForPod("default").DialContext(context.Background(), "tcp", addr)
		if err == nil || !errors.Is(err, ErrNoEndpoints) || err.Error() != "service default/hello has no ready endpoints" {
			t.Fatalf("dial %s: %v; want \"service default/hello has no ready endpoints\"", addr, err)
		}
	}
}

func TestDrainRemovedEndpoint(t *testing.T) {
	tc := startProxyTestCluster(t, 1)
	a := proxyTestPod(t, "10.88.1.10", "a")
	proxyTestService(t, tc.client, "default", "hello", "10.96.0.64", nil, a.String())
	p := tc.proxies[0]
	waitBackends(t, p, "default", "hello", 1)
	_, c := hello(t, p.ForPod("default"), "hello:80")
	defer c.Close()
	epKind, _ := api.ResourceFor("endpoints")
	obj, err := tc.client.Get(context.Background(), epKind, "default", "hello")
	if err != nil {
		t.Fatal(err)
	}
	ep := obj.(*api.Endpoints)
	ep.Subsets = nil
	if _, err := tc.client.Update(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	waitBackends(t, p, "default", "hello", 0)
	if _, err := p.ForPod("default").DialContext(context.Background(), "tcp", "hello:80"); !errors.Is(err, ErrNoEndpoints) {
		t.Fatalf("new connection after the endpoint left: %v; want no ready endpoints", err)
	}
	if _, err := io.WriteString(c, "still here\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "still here\n" {
		t.Fatalf("open connection after the endpoint left: %q, %v; want it drained, not cut", line, err)
	}
}
