package netproxy

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
)

// clusterIPs serves the ClusterIPs on the host, for pods with a network namespace of their own
// (runc pods), whose connections to a ClusterIP leave through the host: each ClusterIP is a /32
// on a dummy device, and each ClusterIP:port a listener spliced to the Service port. Listeners
// share their address with the other agents of the host (SO_REUSEPORT), so that each agent of a
// local multi-node cluster serves every Service. The device and its addresses outlive Run:
// another agent may still use them.
type clusterIPs struct {
	dev   serviceDevice
	log   *slog.Logger
	retry time.Duration
	set   *listenerSet
	kick  chan struct{}

	mu       sync.Mutex
	services []*api.Service
	known    bool   // services was set: before the first list, the device is left alone
	devErr   string // the last device error, to log changes only
}

// As for NodePorts: between attempts at what failed, and to open a connection to a Service.
const (
	clusterIPRetry       = 5 * time.Second
	clusterIPDialTimeout = 10 * time.Second
)

func newClusterIPs(device string, d ServiceDialer, log *slog.Logger) *clusterIPs {
	return &clusterIPs{
		dev:   serviceDevice{name: device},
		log:   log,
		retry: clusterIPRetry,
		kick:  make(chan struct{}, 1),
		set: newListenerSet(listenerSetConfig{
			what:      "cluster IP",
			want:      desiredClusterIPs,
			reusePort: true,
			dialer:    d,
			logger:    log,
			retry:     clusterIPRetry,
			dialTO:    clusterIPDialTimeout,
		}),
	}
}

// Update sets the current Services and wakes Run. It does not block.
func (c *clusterIPs) Update(services []*api.Service) {
	c.mu.Lock()
	c.services, c.known = services, true
	c.mu.Unlock()
	kick(c.kick)
}

// Run keeps the device's addresses and the listeners in line with the last Update until ctx
// ends, then closes the listeners and leaves the device as it is.
func (c *clusterIPs) Run(ctx context.Context) error {
	defer c.set.closeAll()
	reconcileLoop(ctx, c.kick, c.retry, c.sync)
	return nil
}

// sync puts the wanted addresses on the device, then opens and closes listeners, then takes the
// addresses of gone Services off. It reports whether all went well.
func (c *clusterIPs) sync(ctx context.Context) bool {
	c.mu.Lock()
	services, known := c.services, c.known
	c.mu.Unlock()
	if !known {
		return true
	}
	have, err := c.dev.ensure(ctx)
	add, del := diffDeviceAddrs(clusterIPAddrs(services), have)
	if err == nil {
		err = c.dev.add(ctx, add)
	}
	c.set.update(services)
	ok := c.set.reconcile(ctx)
	if err == nil {
		// The addresses of gone Services go once their listeners have closed.
		err = c.dev.del(ctx, del)
	}
	c.logDeviceError(err)
	return ok && err == nil
}

func (c *clusterIPs) logDeviceError(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	c.mu.Lock()
	changed := msg != c.devErr
	c.devErr = msg
	c.mu.Unlock()
	if changed && err != nil {
		c.log.Warn("service device, will retry", "device", c.dev.name, "retry", c.retry, "err", err)
	}
}

// serviceClusterIP is the ClusterIP of s that this proxy serves: one in api.ServiceCIDR, so none for
// a headless Service ("None") or an ExternalName one.
func serviceClusterIP(s *api.Service) (netip.Addr, bool) {
	if s == nil || s.Spec.Type == api.ServiceTypeExternalName {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(s.Spec.ClusterIP)
	if err != nil || !api.ServiceCIDR.Contains(ip) {
		return netip.Addr{}, false
	}
	return ip, true
}

// clusterIPAddrs is the set of ClusterIPs of the Services.
func clusterIPAddrs(services []*api.Service) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, s := range services {
		if ip, ok := serviceClusterIP(s); ok {
			out[ip] = true
		}
	}
	return out
}

// desiredClusterIPs maps ClusterIP:port, for each TCP port of every Service with a ClusterIP, to
// its target.
func desiredClusterIPs(services []*api.Service) (map[string]serviceTarget, []string) {
	return wantedListeners(services, func(s *api.Service, want func(string, api.ServicePort)) {
		ip, ok := serviceClusterIP(s)
		if !ok {
			return
		}
		for _, p := range s.Spec.Ports {
			if p.Port > 0 && p.Port < 1<<16 && isTCP(p) {
				want(netip.AddrPortFrom(ip, uint16(p.Port)).String(), p)
			}
		}
	})
}
