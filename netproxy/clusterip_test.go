package netproxy

import (
	"bufio"
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

func TestDesiredClusterIPs(t *testing.T) {
	svc := func(ns, name, typ, ip string, ports ...api.ServicePort) *api.Service {
		s := nodePortTestService(ns, name, typ, ports...)
		s.Spec.ClusterIP = ip
		return s
	}
	svcs := []*api.Service{
		svc("default", "web", api.ServiceTypeClusterIP, "10.96.1.0",
			api.ServicePort{Name: "http", Port: 80},
			api.ServicePort{Port: 443, Protocol: api.ProtocolTCP},
			api.ServicePort{Name: "dns", Port: 53, Protocol: api.ProtocolUDP}),
		svc("default", "np", api.ServiceTypeNodePort, "10.96.1.1", api.ServicePort{Port: 8080, NodePort: 30080}),
		svc("default", "udp-only", api.ServiceTypeClusterIP, "10.96.1.2", api.ServicePort{Port: 53, Protocol: api.ProtocolUDP}),
		svc("default", "headless", api.ServiceTypeClusterIP, "None", api.ServicePort{Port: 80}),
		svc("default", "pending", api.ServiceTypeClusterIP, "", api.ServicePort{Port: 80}),
		svc("default", "outside", api.ServiceTypeClusterIP, "10.97.0.1", api.ServicePort{Port: 80}),
		svc("default", "ext", api.ServiceTypeExternalName, "", api.ServicePort{Port: 80}),
		svc("zz", "twin", api.ServiceTypeClusterIP, "10.96.1.0", api.ServicePort{Port: 80}),
		nil,
	}
	want, conflicts := desiredClusterIPs(svcs)
	got := map[string]string{}
	for addr, tgt := range want {
		got[addr] = tgt.String()
	}
	wantMap := map[string]string{
		"10.96.1.0:80":   "default/web:http",
		"10.96.1.0:443":  "default/web:443",
		"10.96.1.1:8080": "default/np:8080",
	}
	if len(got) != len(wantMap) {
		t.Errorf("desired %v, want %v", got, wantMap)
	}
	for addr, w := range wantMap {
		if got[addr] != w {
			t.Errorf("%s -> %q, want %q", addr, got[addr], w)
		}
	}
	if len(conflicts) != 1 {
		t.Errorf("conflicts %q, want one for 10.96.1.0:80", conflicts)
	}
	var addrs []string
	for a := range clusterIPAddrs(svcs) {
		addrs = append(addrs, a.String())
	}
	slices.Sort(addrs)
	if want := []string{"10.96.1.0", "10.96.1.1", "10.96.1.2"}; !slices.Equal(addrs, want) {
		t.Errorf("addresses %v, want %v", addrs, want)
	}
}

// clusterIPTestHello connects to addr from the host and returns the first line the far end says.
// Nothing may be said: with no local address, the connection leaves through the default route.
func clusterIPTestHello(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func clusterIPTestWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestClusterIPsOnServiceDevice(t *testing.T) {
	requireNetAdmin(t)
	dev := testDevice(t)
	// What the proxy must leave alone (another program's), and what it must take off (a ClusterIP
	// that an agent left behind, of a Service that is gone).
	testIP(t, "addr", "add", "10.88.1.21/32", "dev", dev)
	testIP(t, "addr", "add", "10.96.200.1/32", "dev", dev)
	tc := startProxyTestCluster(t, 1, func(c *Config) { c.ServiceDevice = dev })
	p := tc.proxies[0]
	a := proxyTestPod(t, "10.88.1.10", "a")
	proxyTestService(t, tc.client, "default", "hello", "10.96.254.80", nil, a.String())

	clusterIPTestWait(t, "the ClusterIP is on the device and the stale one gone", func() bool {
		return slices.Equal(testDeviceAddrs(t, dev), []string{"10.88.1.21/32", "10.96.254.80/32"})
	})
	clusterIPTestWait(t, "the ClusterIP answers from the host", func() bool {
		got, _ := clusterIPTestHello("10.96.254.80:80")
		return got == "a"
	})

	svcKind, _ := api.ResourceFor("services")
	if _, err := tc.client.Delete(context.Background(), svcKind, "default", "hello", nil); err != nil {
		t.Fatal(err)
	}
	clusterIPTestWait(t, "the ClusterIP leaves the device", func() bool {
		return slices.Equal(testDeviceAddrs(t, dev), []string{"10.88.1.21/32"})
	})
	if l := p.clusterIPs.set.listening(); len(l) != 0 {
		t.Errorf("still listening on %v", l)
	}
	if got, _ := clusterIPTestHello("10.96.254.80:80"); got == "a" {
		t.Error("the deleted Service's ClusterIP still leads to its pod")
	}

	// Stopped, the proxy leaves the device and the addresses of live Services behind.
	proxyTestService(t, tc.client, "default", "again", "10.96.254.81", nil, a.String())
	clusterIPTestWait(t, "the new ClusterIP answers", func() bool {
		got, _ := clusterIPTestHello("10.96.254.81:80")
		return got == "a"
	})
	tc.stop()
	if got := testDeviceAddrs(t, dev); !slices.Equal(got, []string{"10.88.1.21/32", "10.96.254.81/32"}) {
		t.Errorf("after stop the device has %v", got)
	}
	if c, err := net.DialTimeout("tcp", "10.96.254.81:80", time.Second); err == nil {
		c.Close()
		t.Error("a stopped proxy still accepts on its ClusterIP")
	}
}

func TestClusterIPsSharedByAgents(t *testing.T) {
	requireNetAdmin(t)
	dev := testDevice(t)
	tc := startProxyTestCluster(t, 2, func(c *Config) { c.ServiceDevice = dev })
	a := proxyTestPod(t, "10.88.1.10", "a")
	proxyTestService(t, tc.client, "default", "hello", "10.96.254.82", nil, a.String()+"@node-a")
	for _, p := range tc.proxies {
		clusterIPTestWait(t, p.cfg.NodeName+" listens on the ClusterIP", func() bool {
			_, ok := p.clusterIPs.set.listening()["10.96.254.82:80"]
			return ok
		})
	}
	for i := range 32 {
		if got, err := clusterIPTestHello("10.96.254.82:80"); got != "a" {
			t.Fatalf("connection %d: %q, %v", i, got, err)
		}
	}
	// The kernel spreads the connections over both listeners (by a hash of the addresses: all
	// 32 on one would be a 1 in 2^31 chance), and each proxies them.
	for _, p := range tc.proxies {
		if n := p.clusterIPs.set.accepted.Load(); n == 0 {
			t.Errorf("%s accepted no connection", p.cfg.NodeName)
		}
	}
}
