package netproxy

import (
	"io"
	"net"
	"net/netip"
	"testing"
)

func TestLocalPodAddr(t *testing.T) {
	p := New(DefaultConfig())
	wasm := netip.MustParseAddrPort("10.88.3.7:8080")
	runc := netip.MustParseAddrPort("10.88.3.8:8080")
	p.SetDirectPod(runc.Addr(), true)
	for _, tt := range []struct {
		name string
		pod  netip.AddrPort
		want string
	}{
		{"wasm pod: its loopback twin", wasm, "127.88.3.7:8080"},
		{"direct pod: itself", runc, "10.88.3.8:8080"},
		{"direct pod as IPv4-mapped IPv6", netip.AddrPortFrom(netip.AddrFrom16(runc.Addr().As16()), 8080), "10.88.3.8:8080"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.localPodAddr(tt.pod).String(); got != tt.want {
				t.Errorf("localPodAddr(%s) = %s, want %s", tt.pod, got, tt.want)
			}
		})
	}
	p.SetDirectPod(runc.Addr(), false)
	if got := p.localPodAddr(runc).String(); got != "127.88.3.8:8080" {
		t.Errorf("after SetDirectPod(false): %s, want the loopback twin", got)
	}
}

// TestDirectPod puts a pod IP on a device of the host, as a runc pod's is reachable, and listens
// there and at its loopback twin on one port: a service connection on the pod's node and a
// tunnelled one from another node go to the twin, until the node says the pod is direct.
func TestDirectPod(t *testing.T) {
	requireNetAdmin(t)
	dev := testDevice(t)
	testIP(t, "addr", "add", "10.88.1.20/32", "dev", dev)
	testIP(t, "link", "set", "dev", dev, "up")
	ln, err := net.Listen("tcp", "10.88.1.20:0")
	if err != nil {
		t.Fatal(err)
	}
	serveTestConns(t, ln, func(c net.Conn) { io.WriteString(c, "direct\n") })
	pod := ln.Addr().(*net.TCPAddr).AddrPort()
	twin, err := net.Listen("tcp", netip.AddrPortFrom(LoopbackAddr(pod.Addr()), pod.Port()).String())
	if err != nil {
		t.Fatal(err)
	}
	serveTestConns(t, twin, func(c net.Conn) { io.WriteString(c, "twin\n") })

	tc := startProxyTestCluster(t, 2)
	pa, pb := tc.proxies[0], tc.proxies[1]
	proxyTestService(t, tc.client, "default", "hello", "10.96.0.90", nil, pod.String()+"@node-a")
	waitBackends(t, pa, "default", "hello", 1)
	check := func(want string) {
		t.Helper()
		if got := helloClosed(t, pa.ForPod("default"), "hello:80"); got != want {
			t.Errorf("service on the pod's node reached %s, want %s", got, want)
		}
		if got := helloClosed(t, pb.ForPod("default"), pod.String()); got != want {
			t.Errorf("pod IP from another node reached %s, want %s", got, want)
		}
	}
	check("twin")
	pa.SetDirectPod(pod.Addr(), true)
	check("direct")
	if n := pa.tunnelAccepted.Load(); n != 2 {
		t.Errorf("node-a's tunnel carried %d connections, want 2", n)
	}
	pa.SetDirectPod(pod.Addr(), false)
	check("twin")
}
