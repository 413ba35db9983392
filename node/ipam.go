package node

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/wk-project/wk/netproxy"
)

// ipam hands out pod IPs from the node's pod CIDR (a /24 of the cluster's 10.88.0.0/16). A pod's
// node-local address is the same host in 127.0.0.0/8: pod 10.88.3.7 listens on 127.88.3.7.
type ipam struct {
	mu     sync.Mutex
	prefix netip.Prefix
	used   map[netip.Addr]string // address -> pod UID
}

func newIPAM(cidr string) (*ipam, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Bits() > 24 {
		return nil, fmt.Errorf("pod CIDR %q: want an IPv4 /24 or larger", cidr)
	}
	return &ipam{prefix: p.Masked(), used: map[netip.Addr]string{}}, nil
}

// allocate returns the pod's IP, the same one on every call for one UID. A pod that had an IP
// before (it ran on this node under an earlier agent) gets it again when it is free, so that a
// restarted agent keeps its pods' addresses.
func (m *ipam) allocate(uid string, prev netip.Addr) (netip.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for a, owner := range m.used {
		if owner == uid {
			return a, nil
		}
	}
	if _, taken := m.used[prev]; prev.IsValid() && !taken && m.usable(prev) {
		m.used[prev] = uid
		return prev, nil
	}
	for a := m.prefix.Addr(); m.prefix.Contains(a); a = a.Next() {
		if _, taken := m.used[a]; !taken && m.usable(a) {
			m.used[a] = uid
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s is full", m.prefix)
}

// usable reports whether a is a pod address of the CIDR: not the network (.0), the node's
// gateway (.1) or a broadcast (.255).
func (m *ipam) usable(a netip.Addr) bool {
	b := a.As4()
	return m.prefix.Contains(a) && a != m.prefix.Addr() && a != m.prefix.Addr().Next() && b[3] != 255
}

func (m *ipam) release(uid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for a, owner := range m.used {
		if owner == uid {
			delete(m.used, a)
		}
	}
}

// localAddr maps a pod IP to the loopback address its sockets listen on.
func localAddr(podIP netip.Addr) netip.Addr { return netproxy.LoopbackAddr(podIP) }
