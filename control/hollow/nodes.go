package hollow

import (
	"fmt"

	"github.com/wk-project/wk/control/api"
)

// Labels and taints of the benchmark's nodes.
const (
	labelZone     = "topology.kubernetes.io/zone" // the zone label the scheduler spreads over
	labelHostname = "kubernetes.io/hostname"
	labelPool     = "wk.io/bench-pool" // one of pools values: a tenth of the nodes each
	taintKey      = "wk.io/bench-dedicated"
	taintValue    = "batch"

	pools      = 10
	zones      = 3 // prime to pools, so every pool spans every zone
	taintEvery = 7 // with constraints, every 7th node is tainted
)

// podsPerNode is the pod capacity of a hollow node, Kubernetes' default.
const podsPerNode = 110

// Shape is what a hollow node offers: 32 cpu, 256Gi of memory and 110 pods, a large server.
var Shape = api.ResourceList{
	"cpu":    api.MustParseQuantity("32"),
	"memory": api.MustParseQuantity("256Gi"),
	"pods":   api.NewMilliQuantity(podsPerNode * 1000),
}

// NodeName is the name of hollow node i.
func NodeName(i int) string { return fmt.Sprintf("hollow-node-%05d", i) }

// benchNodes makes n Ready nodes spread over the zones and pools; with constraints every 7th
// carries a NoSchedule taint that only the benchmark's pods tolerate.
func benchNodes(n int, constraints bool) []*api.Node {
	nodes := make([]*api.Node, n)
	for i := range nodes {
		name := NodeName(i)
		nd := &api.Node{
			ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{
				labelHostname:        name,
				"kubernetes.io/os":   "linux",
				"kubernetes.io/arch": "amd64",
				labelZone:            fmt.Sprintf("zone-%c", 'a'+i%zones),
				labelPool:            poolName(i % pools),
			}},
			Spec: api.NodeSpec{PodCIDR: podCIDR(i), PodCIDRs: []string{podCIDR(i)}},
		}
		if constraints && i%taintEvery == 0 {
			nd.Spec.Taints = []api.Taint{{Key: taintKey, Value: taintValue, Effect: api.TaintNoSchedule}}
		}
		nodes[i] = nd
	}
	return nodes
}

func poolName(i int) string { return fmt.Sprintf("pool-%d", i) }

// podCIDR gives hollow node i a /24 of 100.64.0.0/10: the cluster's 10.88.0.0/16 has room for
// 256 nodes only, and a hollow node needs no routable pod network.
func podCIDR(i int) string { return fmt.Sprintf("100.%d.%d.0/24", 64+i/256, i%256) }

// nodeIP is hollow node i's fake address.
func nodeIP(i int) string { return fmt.Sprintf("172.%d.%d.%d", 16+i/65536, i/256%256, i%256) }
