package netproxy

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestTunnelToPodOnOtherNode(t *testing.T) {
	tc := startProxyTestCluster(t, 2)
	pa, pb := tc.proxies[0], tc.proxies[1]
	remote := proxyTestPod(t, "10.88.2.7", "remote")
	local := proxyTestPod(t, "10.88.1.7", "local")
	proxyTestService(t, tc.client, "default", "hello", "10.96.0.70", nil, remote.String()+"@node-b")
	waitBackends(t, pa, "default", "hello", 1)
	pn := pa.ForPod("default")
	if got := helloClosed(t, pn, remote.String()); got != "remote" {
		t.Fatalf("pod IP on node-b reached %s", got)
	}
	if got := helloClosed(t, pn, "hello:80"); got != "remote" {
		t.Fatalf("service with an endpoint on node-b reached %s", got)
	}
	if n := pb.tunnelAccepted.Load(); n != 2 {
		t.Fatalf("node-b's tunnel carried %d connections; want 2", n)
	}
	if got := helloClosed(t, pn, local.String()); got != "local" {
		t.Fatalf("pod IP on node-a reached %s", got)
	}
	if n := pa.tunnelAccepted.Load() + pb.tunnelAccepted.Load(); n != 2 {
		t.Fatalf("a local pod went through a tunnel (%d tunnelled in all)", n)
	}
	// The stream is the pod's both ways.
	_, c := hello(t, pn, remote.String())
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := c.Read(buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("echo through the tunnel: %q, %v", buf, err)
	}
}

func TestTunnelRefuses(t *testing.T) {
	tc := startProxyTestCluster(t, 2)
	pb := tc.proxies[1]
	onB := proxyTestPod(t, "10.88.2.8", "b")
	onA := proxyTestPod(t, "10.88.1.8", "a")
	for _, tt := range []struct {
		name, secret string
		target       netip.AddrPort
		want         string
	}{
		{"wrong secret", "not-the-secret", onB, "authentication failed"},
		{"no secret", "", onB, "authentication failed"},
		{"target on another node", proxyTestSecret, onA, "is not a pod of node node-b"},
		{"target outside the cluster", proxyTestSecret, netip.MustParseAddrPort("127.0.0.1:22"), "is not a pod of node node-b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := dialTunnel(ctx, &net.Dialer{}, pb.TunnelAddr(), tt.secret, tt.target)
			if err == nil {
				c.Close()
				t.Fatal("the tunnel let the peer in")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("refusal: %v; want it to say %q", err, tt.want)
			}
		})
	}
	if n := pb.tunnelAccepted.Load(); n != 0 {
		t.Fatalf("%d refused peers got through", n)
	}
	// A peer that does not answer the challenge at all is cut at the handshake deadline; one that
	// answers garbage is refused at once.
	c, err := net.Dial("tcp", pb.TunnelAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(make([]byte, 33+5))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	// The challenge and the refusal may come in one read or several.
	n := 0
	for n <= 36 {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	if n <= 36 || buf[36] != tunnelRefused {
		t.Fatalf("garbage answer got %q; want a refusal", buf[:n])
	}
}
