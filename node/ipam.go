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

// allocate returns the pod's IP, the same one on every call for one UID.
func (m *ipam) allocate(uid string) (netip.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for a, owner := range m.used {
		if owner == uid {
			return a, nil
		}
	}
	a := m.prefix.Addr().Next().Next() // .0 is the network, .1 the node
	for ; m.prefix.Contains(a); a = a.Next() {
		if a.As4()[3] == 255 {
			continue
		}
		if _, taken := m.used[a]; !taken {
			m.used[a] = uid
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s is full", m.prefix)
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
