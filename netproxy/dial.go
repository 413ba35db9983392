package netproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// ErrNoEndpoints is matched (errors.Is) by the error of a dial to a service port without ready
// endpoints.
var ErrNoEndpoints = errors.New("no ready endpoints")

type noEndpointsError struct{ svc svcKey }

func (e *noEndpointsError) Error() string {
	return "service " + e.svc.String() + " has no ready endpoints"
}
func (e *noEndpointsError) Is(target error) bool { return target == ErrNoEndpoints }

// PodNet is the network as the pods of one namespace see it: service names relative to the
// namespace, ClusterIPs, pod IPs anywhere in the cluster, and the outside.
type PodNet struct {
	p  *Proxy
	ns string
}

// ForPod returns the network of the pods of namespace.
func (p *Proxy) ForPod(namespace string) PodNet { return PodNet{p: p, ns: namespace} }

// DialContext opens a connection to addr: a service name or ClusterIP with a service port goes to
// a ready endpoint of that port, a pod IP to the pod on whatever node it runs, anything else
// directly.
func (n PodNet) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return n.p.dialer.DialContext(ctx, network, addr)
	}
	t := n.p.table.Load()
	ip, err := netip.ParseAddr(host)
	if err != nil {
		sv, found, err := n.p.lookupName(t, n.ns, host)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		if !found {
			return n.p.dialer.DialContext(ctx, network, addr)
		}
		return n.p.dialServicePort(ctx, network, sv, port)
	}
	ip = ip.Unmap()
	if sv, ok := t.byIP[ip]; ok {
		return n.p.dialServicePort(ctx, network, sv, port)
	}
	if api.ClusterCIDR.Contains(ip) {
		pn, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("dial %s: bad port %q", addr, port)
		}
		return n.p.dialPod(ctx, network, netip.AddrPortFrom(ip, uint16(pn)), "")
	}
	return n.p.dialer.DialContext(ctx, network, addr)
}

// DialService opens a connection to a ready endpoint of a service port, named by number or name.
// It makes the Proxy a ServiceDialer for NodePorts and Ingress.
func (p *Proxy) DialService(ctx context.Context, namespace, name, port string) (net.Conn, error) {
	sv, ok := p.table.Load().services[svcKey{namespace, name}]
	if !ok {
		return nil, fmt.Errorf("service %s/%s not found", namespace, name)
	}
	return p.dialServicePort(ctx, "tcp", sv, port)
}

var _ ServiceDialer = (*Proxy)(nil)

func (p *Proxy) dialServicePort(ctx context.Context, network string, sv *service, port string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" {
		return nil, fmt.Errorf("dial service %s: only TCP is proxied, not %s", sv.key, network)
	}
	sp, ok := sv.port(port)
	if !ok {
		return nil, fmt.Errorf("service %s has no port %s", sv.key, port)
	}
	bs := sv.backends[sp.Name]
	if len(bs) == 0 {
		return nil, &noEndpointsError{sv.key}
	}
	key := portKey{sv.key, sp.Name}
	tried := map[netip.AddrPort]bool{}
	var errs []error
	for {
		b, ok := p.bal.pick(key, bs, sv.leastConn, tried)
		if !ok {
			break
		}
		tried[b.addr] = true
		actx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
		c, err := p.dialPod(actx, "tcp", b.addr, b.node)
		cancel()
		if err == nil {
			return p.bal.track(b.addr, c), nil
		}
		p.log.Debug("endpoint refused a connection; trying another", "service", sv.key.String(), "endpoint", b.addr.String(), "err", err)
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("connect to service %s port %d: %w", sv.key, sp.Port, errors.Join(errs...))
}

// dialPod reaches a pod port: on this node at its localPodAddr, on another through that node's
// tunnel. node names the pod's node when the caller knows it; a pod whose node is unknown is
// taken for local.
func (p *Proxy) dialPod(ctx context.Context, network string, addr netip.AddrPort, node string) (net.Conn, error) {
	local := func() (net.Conn, error) {
		return p.dialer.DialContext(ctx, network, p.localPodAddr(addr).String())
	}
	if self, ok := p.nodes.node(ctx, p.cfg.NodeName); ok && self.cidr.IsValid() && self.cidr.Contains(addr.Addr()) {
		return local()
	}
	var info nodeInfo
	var ok bool
	if node != "" {
		info, ok = p.nodes.node(ctx, node)
		if !ok {
			info, ok = nodeInfo{name: node}, true
		}
	} else {
		info, ok = p.nodes.owner(ctx, addr.Addr())
	}
	if !ok || info.name == p.cfg.NodeName {
		return local()
	}
	if network != "tcp" && network != "tcp4" {
		return nil, fmt.Errorf("dial pod %s on node %s: only TCP crosses nodes, not %s", addr, info.name, network)
	}
	if info.tunnel == "" {
		return nil, fmt.Errorf("dial pod %s: node %s publishes no tunnel address", addr, info.name)
	}
	c, err := dialTunnel(ctx, &p.dialer, info.tunnel, p.cfg.Secret, addr)
	if err != nil {
		p.nodes.forget(info.name)
		return nil, fmt.Errorf("dial pod %s through node %s: %w", addr, info.name, err)
	}
	return c, nil
}
