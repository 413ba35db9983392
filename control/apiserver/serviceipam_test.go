package apiserver_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/store"
)

func testService(name, typ, clusterIP string, nodePorts ...int32) *api.Service {
	svc := &api.Service{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       api.ServiceSpec{Type: typ, ClusterIP: clusterIP, Selector: map[string]string{"app": name}},
	}
	svc.Spec.Ports = []api.ServicePort{{Name: "http", Port: 80}}
	for i, np := range nodePorts {
		if i > 0 {
			svc.Spec.Ports = append(svc.Spec.Ports, api.ServicePort{Name: fmt.Sprintf("p%d", i), Port: int32(8000 + i)})
		}
		svc.Spec.Ports[i].NodePort = np
	}
	return svc
}

// localServer is an API server over a store in dir, used in process.
func localServer(t *testing.T, dir string) (*apiserver.Local, func()) {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.Dir = dir
	st, err := store.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := apiserver.New(apiserver.DefaultConfig(), st).Local()
	ns := &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "default"}}
	if _, err := l.Create(context.Background(), ns); err != nil && !api.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return l, func() { st.Close() }
}

func TestServiceAddressAllocation(t *testing.T) {
	tests := []struct {
		name       string
		first      *api.Service // created before, when set
		svc        *api.Service
		wantIP     string // exact, or "auto" for any allocatable address
		wantErr    string // the field and message of a 422
		nodePorts  int    // how many node ports must be allocated
		wantPorts  []int32
		wantNoPort bool
	}{
		{name: "auto: the lowest free address above the static band", svc: testService("a", "", ""), wantIP: "10.96.1.0"},
		{name: "explicit", svc: testService("a", "", "10.96.3.4"), wantIP: "10.96.3.4"},
		{name: "explicit reserved kubernetes address", svc: testService("a", "", "10.96.0.1"), wantIP: "10.96.0.1"},
		{name: "clash", first: testService("b", "", "10.96.3.4"), svc: testService("a", "", "10.96.3.4"),
			wantErr: `spec.clusterIP: Invalid value: "10.96.3.4": provided IP is already allocated`},
		{name: "out of range", svc: testService("a", "", "10.97.0.5"),
			wantErr: `spec.clusterIP: Invalid value: "10.97.0.5": provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16`},
		{name: "broadcast", svc: testService("a", "", "10.96.255.255"), wantErr: "spec.clusterIP"},
		{name: "network", svc: testService("a", "", "10.96.0.0"), wantErr: "spec.clusterIP"},
		{name: "headless", svc: testService("a", "", "None"), wantIP: "None"},
		{name: "nodeport auto", svc: testService("a", "NodePort", "", 0, 0), wantIP: "auto", nodePorts: 2},
		{name: "nodeport explicit", svc: testService("a", "NodePort", "", 30080), wantIP: "auto", wantPorts: []int32{30080}},
		{name: "nodeport clash", first: testService("b", "NodePort", "", 30080), svc: testService("a", "NodePort", "", 0, 30080),
			wantErr: "spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated"},
		{name: "nodeport out of range", svc: testService("a", "NodePort", "", 8080),
			wantErr: "spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767"},
		{name: "clusterIP service has no node port", svc: testService("a", "", ""), wantIP: "auto", wantNoPort: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, done := localServer(t, t.TempDir())
			defer done()
			ctx := context.Background()
			if tt.first != nil {
				if _, err := l.Create(ctx, tt.first); err != nil {
					t.Fatal(err)
				}
			}
			out, err := l.Create(ctx, tt.svc)
			if tt.wantErr != "" {
				if !isInvalid(err) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want 422 with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			svc := out.(*api.Service)
			checkClusterIP(t, svc, tt.wantIP)
			for i, p := range svc.Spec.Ports {
				switch {
				case i < len(tt.wantPorts) && p.NodePort != tt.wantPorts[i]:
					t.Errorf("ports[%d].nodePort = %d, want %d", i, p.NodePort, tt.wantPorts[i])
				case i < tt.nodePorts && (p.NodePort < api.NodePortMin || p.NodePort > api.NodePortMax):
					t.Errorf("ports[%d].nodePort = %d, want one in 30000-32767", i, p.NodePort)
				case tt.wantNoPort && p.NodePort != 0:
					t.Errorf("ports[%d].nodePort = %d, want none", i, p.NodePort)
				}
			}
			if tt.nodePorts == 2 && svc.Spec.Ports[0].NodePort == svc.Spec.Ports[1].NodePort {
				t.Errorf("two ports got node port %d", svc.Spec.Ports[0].NodePort)
			}
		})
	}
}

func checkClusterIP(t *testing.T, svc *api.Service, want string) {
	t.Helper()
	got := svc.Spec.ClusterIP
	if len(svc.Spec.ClusterIPs) != 1 || svc.Spec.ClusterIPs[0] != got {
		t.Errorf("clusterIPs = %v, want [%s]", svc.Spec.ClusterIPs, got)
	}
	if want != "auto" {
		if got != want {
			t.Errorf("clusterIP = %q, want %q", got, want)
		}
		return
	}
	ip, err := netip.ParseAddr(got)
	if err != nil || !netip.MustParsePrefix("10.96.0.0/16").Contains(ip) || got == "10.96.0.0" || got == "10.96.0.1" || got == "10.96.255.255" {
		t.Errorf("clusterIP = %q, want an allocatable address of 10.96.0.0/16", got)
	}
}

func TestServiceAddressesKeptOnUpdateAndApply(t *testing.T) {
	l, done := localServer(t, t.TempDir())
	defer done()
	ctx := context.Background()
	out, err := l.Create(ctx, testService("web", "NodePort", "", 0))
	if err != nil {
		t.Fatal(err)
	}
	first := out.(*api.Service)
	ip, np := first.Spec.ClusterIP, first.Spec.Ports[0].NodePort

	// An update that leaves them out keeps them.
	upd := testService("web", "NodePort", "", 0)
	upd.ResourceVersion = first.ResourceVersion
	out, err = l.Update(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	if s := out.(*api.Service); s.Spec.ClusterIP != ip || s.Spec.Ports[0].NodePort != np {
		t.Fatalf("update: %s %d, want %s %d", s.Spec.ClusterIP, s.Spec.Ports[0].NodePort, ip, np)
	}

	// Asking again for its own node port is no clash.
	upd = out.(*api.Service)
	upd.Spec.Ports[0].NodePort = np
	if _, err := l.Update(ctx, upd); err != nil {
		t.Fatalf("update with its own node port: %v", err)
	}

	// Adding a port gives it a node port of its own; a type change to ClusterIP drops them.
	cur, _ := l.Get(ctx, api.KindOf(first), "default", "web")
	upd = cur.(*api.Service)
	upd.Spec.Ports = append(upd.Spec.Ports, api.ServicePort{Name: "metrics", Port: 9090})
	out, err = l.Update(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	if s := out.(*api.Service); s.Spec.Ports[1].NodePort == 0 || s.Spec.Ports[1].NodePort == np {
		t.Fatalf("added port got node port %d", s.Spec.Ports[1].NodePort)
	}
	upd = testService("web", "ClusterIP", "")
	out, err = l.Update(ctx, upd)
	if err != nil {
		t.Fatalf("change to ClusterIP: %v", err)
	}
	if s := out.(*api.Service); s.Spec.ClusterIP != ip || s.Spec.Ports[0].NodePort != 0 {
		t.Fatalf("change to ClusterIP: %s %d, want %s and no node port", s.Spec.ClusterIP, s.Spec.Ports[0].NodePort, ip)
	}
}

func TestServiceAddressesFreedOnDelete(t *testing.T) {
	l, done := localServer(t, t.TempDir())
	defer done()
	ctx := context.Background()
	k := api.KindOf(&api.Service{})
	if _, err := l.Create(ctx, testService("a", "NodePort", "10.96.7.7", 30100)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Create(ctx, testService("b", "NodePort", "10.96.7.7", 30100)); !isInvalid(err) {
		t.Fatalf("second create with the same addresses: %v, want 422", err)
	}
	if _, err := l.Delete(ctx, k, "default", "a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Create(ctx, testService("b", "NodePort", "10.96.7.7", 30100)); err != nil {
		t.Fatalf("create after delete: %v", err)
	}
}

func TestServiceAddressesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, done := localServer(t, dir)
	out, err := l.Create(ctx, testService("a", "NodePort", "", 0))
	if err != nil {
		t.Fatal(err)
	}
	done()
	a := out.(*api.Service)

	l, done = localServer(t, dir)
	defer done()
	_, err = l.Create(ctx, testService("b", "", a.Spec.ClusterIP))
	if !isInvalid(err) || !strings.Contains(err.Error(), "already allocated") {
		t.Fatalf("cluster IP of a after restart: %v, want already allocated", err)
	}
	_, err = l.Create(ctx, testService("c", "NodePort", "", a.Spec.Ports[0].NodePort))
	if !isInvalid(err) || !strings.Contains(err.Error(), "spec.ports[0].nodePort") {
		t.Fatalf("node port of a after restart: %v, want already allocated", err)
	}
}

// Concurrent creates never share an address.
func TestServiceAddressesConcurrentCreates(t *testing.T) {
	l, done := localServer(t, t.TempDir())
	defer done()
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Half ask for the same address: exactly one of those wins.
			ip := ""
			if i%2 == 0 {
				ip = "10.96.9.9"
			}
			_, errs[i] = l.Create(ctx, testService(fmt.Sprintf("s%d", i), "NodePort", ip, 0))
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil && i%2 == 0:
			won++
		case err != nil && (i%2 == 1 || !isInvalid(err)):
			t.Errorf("create s%d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates got 10.96.9.9, want 1", won)
	}
	objs, _, err := l.List(ctx, api.KindOf(&api.Service{}), "default", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ips, ports := map[string]bool{}, map[int32]bool{}
	for _, o := range objs {
		s := o.(*api.Service)
		if ips[s.Spec.ClusterIP] || ports[s.Spec.Ports[0].NodePort] {
			t.Errorf("%s shares an address: %s %d", s.Name, s.Spec.ClusterIP, s.Spec.Ports[0].NodePort)
		}
		ips[s.Spec.ClusterIP], ports[s.Spec.Ports[0].NodePort] = true, true
	}
}

func isInvalid(err error) bool { return api.ReasonOf(err) == api.ReasonInvalid }

// A re-apply of a manifest without addresses keeps them and changes nothing.
func TestServiceAddressesKeptOnApply(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	out, r, err := ts.client.Apply(ctx, testService("web", "NodePort", ""))
	if err != nil || r != "created" {
		t.Fatalf("apply: %s %v", r, err)
	}
	svc := out.(*api.Service)
	again, r, err := ts.client.Apply(ctx, testService("web", "NodePort", ""))
	if err != nil || r != "unchanged" {
		t.Fatalf("re-apply: %s %v, want unchanged", r, err)
	}
	if s := again.(*api.Service); s.Spec.ClusterIP != svc.Spec.ClusterIP || s.Spec.Ports[0].NodePort != svc.Spec.Ports[0].NodePort {
		t.Fatalf("re-apply moved the addresses: %s %d, was %s %d", s.Spec.ClusterIP, s.Spec.Ports[0].NodePort, svc.Spec.ClusterIP, svc.Spec.Ports[0].NodePort)
	}
}
