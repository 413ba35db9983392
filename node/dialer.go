package node

import (
	"context"
	"net"
	"net/netip"
)

// podDialer is the pods' way out: an address in the cluster's pod CIDR is reached on its
// node-local loopback twin (10.88.3.7 -> 127.88.3.7); anything else is dialled as it is. Service
// names, ClusterIPs and pods on other nodes come with the node proxy.
type podDialer struct {
	d net.Dialer
}

var clusterCIDR = netip.MustParsePrefix("10.88.0.0/16")

func (p *podDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if ip, err := netip.ParseAddr(host); err == nil && clusterCIDR.Contains(ip) {
			addr = net.JoinHostPort(localAddr(ip).String(), port)
		}
	}
	return p.d.DialContext(ctx, network, addr)
}
