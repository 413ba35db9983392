package netproxy

import "net/netip"

// LoopbackAddr is a pod IP's node-local loopback twin, where the pod's sockets listen on its node:
// 10.88.3.7 -> 127.88.3.7.
func LoopbackAddr(podIP netip.Addr) netip.Addr {
	b := podIP.As4()
	return netip.AddrFrom4([4]byte{127, b[1], b[2], b[3]})
}

// SetDirectPod says whether ip is a pod of this node that runs in a network namespace of its own
// (a runc pod): its IP is a real address of the host's, where the proxy reaches it, rather than
// at its loopback twin as a wasm pod. The node sets it before the pod serves and clears it when
// the pod is gone.
func (p *Proxy) SetDirectPod(ip netip.Addr, direct bool) {
	if direct {
		p.direct.Store(ip.Unmap(), struct{}{})
	} else {
		p.direct.Delete(ip.Unmap())
	}
}

// localPodAddr is where a pod port of this node is dialled: the pod's own address for a direct
// pod, its loopback twin otherwise.
func (p *Proxy) localPodAddr(addr netip.AddrPort) netip.AddrPort {
	ip := addr.Addr().Unmap()
	if _, ok := p.direct.Load(ip); ok {
		return netip.AddrPortFrom(ip, addr.Port())
	}
	return netip.AddrPortFrom(LoopbackAddr(ip), addr.Port())
}
