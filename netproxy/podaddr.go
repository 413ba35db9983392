package netproxy

import "net/netip"

// ClusterCIDR holds every pod IP; each node has a /24 of it.
var ClusterCIDR = netip.MustParsePrefix("10.88.0.0/16")

// LoopbackAddr is a pod IP's node-local loopback twin, where the pod's sockets listen on its node:
// 10.88.3.7 -> 127.88.3.7.
func LoopbackAddr(podIP netip.Addr) netip.Addr {
	b := podIP.As4()
	return netip.AddrFrom4([4]byte{127, b[1], b[2], b[3]})
}
