package netproxy

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// nodeCache knows the nodes' pod CIDRs and tunnel addresses, read by listing Nodes on demand:
// when a lookup misses, or the last list is older than nodeCacheTTL. Watching Nodes instead
// would bring every node's heartbeat to every node.
type nodeCache struct {
	c    *client.Client
	self string
	kind *api.Kind

	mu      sync.Mutex
	nodes   map[string]nodeInfo
	listed  time.Time
	listing sync.Mutex // one list at a time
}

type nodeInfo struct {
	name   string
	cidr   netip.Prefix // invalid until the node has one
	tunnel string       // its TunnelAddrAnnotation
}

const (
	nodeCacheTTL       = 30 * time.Second
	nodeCacheMinRelist = time.Second // a miss lists again at most this often
)

func newNodeCache(c *client.Client, self string) *nodeCache {
	k, _ := api.ResourceFor("nodes")
	return &nodeCache{c: c, self: self, kind: k, nodes: map[string]nodeInfo{}}
}

// node returns what is known of a node by name.
func (n *nodeCache) node(ctx context.Context, name string) (nodeInfo, bool) {
	return n.find(ctx, func(m map[string]nodeInfo) (nodeInfo, bool) {
		i, ok := m[name]
		return i, ok && (i.tunnel != "" || name == n.self)
	})
}

// owner returns the node whose pod CIDR holds ip.
func (n *nodeCache) owner(ctx context.Context, ip netip.Addr) (nodeInfo, bool) {
	return n.find(ctx, func(m map[string]nodeInfo) (nodeInfo, bool) {
		for _, i := range m {
			if i.cidr.IsValid() && i.cidr.Contains(ip) {
				return i, true
			}
		}
		return nodeInfo{}, false
	})
}

func (n *nodeCache) find(ctx context.Context, match func(map[string]nodeInfo) (nodeInfo, bool)) (nodeInfo, bool) {
	n.mu.Lock()
	i, ok := match(n.nodes)
	age := time.Since(n.listed)
	n.mu.Unlock()
	if (ok && age < nodeCacheTTL) || (!ok && age < nodeCacheMinRelist) || n.c == nil {
		return i, ok
	}
	n.refresh(ctx)
	n.mu.Lock()
	defer n.mu.Unlock()
	return match(n.nodes)
}

// forget drops a node whose tunnel failed, so that the next lookup reads it again.
func (n *nodeCache) forget(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.nodes, name)
}

func (n *nodeCache) refresh(ctx context.Context) {
	n.listing.Lock()
	defer n.listing.Unlock()
	n.mu.Lock()
	fresh := time.Since(n.listed) < nodeCacheMinRelist
	n.mu.Unlock()
	if fresh { // another caller listed meanwhile
		return
	}
	objs, _, err := n.c.List(ctx, n.kind, "", client.ListOptions{})
	if err != nil {
		return // keep what is known; the caller's lookup decides
	}
	m := make(map[string]nodeInfo, len(objs))
	for _, o := range objs {
		nd := o.(*api.Node)
		i := nodeInfo{name: nd.Name, tunnel: nd.Annotations[TunnelAddrAnnotation]}
		if p, err := netip.ParsePrefix(nd.Spec.PodCIDR); err == nil {
			i.cidr = p.Masked()
		}
		m[nd.Name] = i
	}
	n.mu.Lock()
	n.nodes, n.listed = m, time.Now()
	n.mu.Unlock()
}
