package netproxy

import (
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

func nodePortTestService(namespace, name, typ string, ports ...api.ServicePort) *api.Service {
	s := &api.Service{Spec: api.ServiceSpec{Type: typ, Ports: ports}}
	s.Namespace, s.Name = namespace, name
	return s
}

func TestDesiredNodePorts(t *testing.T) {
	svcs := []*api.Service{
		nodePortTestService("default", "web", api.ServiceTypeNodePort,
			api.ServicePort{Name: "http", Port: 80, NodePort: 30080},
			api.ServicePort{Port: 443, NodePort: 30443, Protocol: api.ProtocolTCP},
			api.ServicePort{Name: "dns", Port: 53, NodePort: 30053, Protocol: api.ProtocolUDP}),
		nodePortTestService("default", "internal", api.ServiceTypeClusterIP,
			api.ServicePort{Port: 80, NodePort: 30081}),
		nodePortTestService("shop", "lb", api.ServiceTypeLoadBalancer,
			api.ServicePort{Name: "tcp", Port: 9000, NodePort: 30900}),
		nodePortTestService("default", "unallocated", api.ServiceTypeNodePort,
			api.ServicePort{Port: 80}),
		nodePortTestService("zz", "late", api.ServiceTypeNodePort,
			api.ServicePort{Port: 80, NodePort: 30080}),
		nil,
	}
	want, conflicts := desiredNodePorts("", svcs)
	wantMap := map[string]string{
		":30080": "default/web:http",
		":30443": "default/web:443",
		":30900": "shop/lb:tcp",
	}
	got := map[string]string{}
	for addr, tgt := range want {
		got[addr] = tgt.String()
	}
	if len(got) != len(wantMap) {
		t.Errorf("desired %v, want %v", got, wantMap)
	}
	for p, w := range wantMap {
		if got[p] != w {
			t.Errorf("nodePort %s -> %q, want %q", p, got[p], w)
		}
	}
	if len(conflicts) != 1 {
		t.Errorf("conflicts %q, want one for 30080", conflicts)
	}
}

// nodePortTestEcho is a real TCP server that echoes until the client half-closes.
func nodePortTestEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveTestConns(t, ln, func(c net.Conn) { _, _ = io.Copy(c, c) })
	return ln.Addr().String()
}

// serveTestConns hands each connection ln accepts to handle, which runs in a goroutine of its
// own; the connection is closed when handle returns, and ln when the test ends.
func serveTestConns(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// nodePortTestFreePort finds a loopback port that is free now.
func nodePortTestFreePort(t *testing.T) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

// nodePortTestAddr is where node port port listens in these tests.
func nodePortTestAddr(port int32) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
}

func nodePortTestWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func nodePortTestRun(t *testing.T, d ServiceDialer) *NodePorts {
	t.Helper()
	np := NewNodePorts(NodePortsConfig{Address: "127.0.0.1", Dialer: d, RetryInterval: 20 * time.Millisecond})
	done := make(chan error, 1)
	ctx := t.Context()
	go func() { done <- np.Run(ctx) }()
	t.Cleanup(func() {
		// t.Context is cancelled just before Cleanup functions run.
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return np
}

// nodePortTestRoundTrip sends msg, half-closes and reads everything back. A connection the node
// port closes without an answer reads as "" (an EOF or, with msg unread, a reset).
func nodePortTestRoundTrip(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return ""
	}
	_ = c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal(err)
	}
	return string(got)
}

func TestNodePortsFollowServices(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "echo", "tcp", nodePortTestEcho(t))
	np := nodePortTestRun(t, d)
	port := nodePortTestFreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	svc := nodePortTestService("default", "echo", api.ServiceTypeNodePort,
		api.ServicePort{Name: "tcp", Port: 7, NodePort: port})

	np.Update([]*api.Service{svc})
	nodePortTestWait(t, "the node port listens", func() bool { return np.set.listening()[addr] == addr })
	if got := nodePortTestRoundTrip(t, addr, "ping through the node port"); got != "ping through the node port" {
		t.Errorf("echo %q", got)
	}

	np.Update(nil)
	nodePortTestWait(t, "the node port closes", func() bool { return len(np.set.listening()) == 0 })
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts after the Service went", addr)
	}
}

func TestNodePortsRetryBusyPort(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "echo", "7", nodePortTestEcho(t))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := int32(busy.Addr().(*net.TCPAddr).Port)
	np := nodePortTestRun(t, d)
	np.Update([]*api.Service{nodePortTestService("default", "echo", api.ServiceTypeNodePort,
		api.ServicePort{Port: 7, NodePort: port})})

	time.Sleep(100 * time.Millisecond) // several retries
	if _, ok := np.set.listening()[nodePortTestAddr(port)]; ok {
		t.Fatal("bound a port that another listener holds")
	}
	busy.Close()
	nodePortTestWait(t, "the freed port is bound", func() bool { _, ok := np.set.listening()[nodePortTestAddr(port)]; return ok })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	if got := nodePortTestRoundTrip(t, addr, "after retry"); got != "after retry" {
		t.Errorf("echo %q", got)
	}
}

func TestNodePortsClosesClientWithoutEndpoints(t *testing.T) {
	d := newIngressTestDialer() // knows no service: every dial fails as "no ready endpoints"
	np := nodePortTestRun(t, d)
	port := nodePortTestFreePort(t)
	np.Update([]*api.Service{nodePortTestService("default", "empty", api.ServiceTypeNodePort,
		api.ServicePort{Port: 80, NodePort: port})})
	nodePortTestWait(t, "the node port listens", func() bool { _, ok := np.set.listening()[nodePortTestAddr(port)]; return ok })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	if got := nodePortTestRoundTrip(t, addr, "anyone?"); got != "" {
		t.Errorf("read %q from a service without endpoints", got)
	}
	if n := d.dials.Load(); n != 1 {
		t.Errorf("%d dials, want 1", n)
	}
}

func TestNodePortsRetarget(t *testing.T) {
	d := newIngressTestDialer()
	d.set("default", "a", "80", nodePortTestEcho(t))
	np := nodePortTestRun(t, d)
	port := nodePortTestFreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	np.Update([]*api.Service{nodePortTestService("default", "b", api.ServiceTypeNodePort,
		api.ServicePort{Port: 80, NodePort: port})})
	nodePortTestWait(t, "the node port listens", func() bool { _, ok := np.set.listening()[nodePortTestAddr(port)]; return ok })
	if got := nodePortTestRoundTrip(t, addr, "to b"); got != "" {
		t.Errorf("service b has no endpoints, yet read %q", got)
	}
	np.Update([]*api.Service{nodePortTestService("default", "a", api.ServiceTypeNodePort,
		api.ServicePort{Port: 80, NodePort: port})})
	nodePortTestWait(t, "the node port leads to a", func() bool {
		return nodePortTestRoundTrip(t, addr, "to a") == "to a"
	})
}
