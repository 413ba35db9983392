package scheduler

import (
	"cmp"
	"slices"

	"github.com/wk-project/wk/control/api"
)

// Snapshot is the cluster as one scheduling round sees it: the nodes, and what the pods bound to
// them already use. Build one per round with NewSnapshot; Schedule updates it as it places pods,
// so later pods (in the same call or a later one on the same snapshot) see earlier placements.
// A Snapshot is not safe for concurrent use.
type Snapshot struct {
	// PercentageOfNodesToScore bounds how many nodes that fit a pod are scored, as a percentage
	// of all nodes, never fewer than 100 (or all nodes, when there are fewer); 0 means 5, the
	// floor of kube-scheduler's adaptive default, for throughput. 100 scores every feasible node.
	PercentageOfNodesToScore int

	nodes  []nodeFacts  // in scan order: zone by zone in turn, by name within a zone
	state  []nodeState  // per node, what placements change
	ports  [][]hostPort // per node, host ports in use; nil for most
	all    []int32      // 0..len(nodes)-1
	byName map[string]int32
	zones  []string
	owners map[string]*spread // by controller UID
	sigs   sigCache
	placed int // placements so far; a change invalidates remembered failures

	window []candidate // scratch for one pod
	want   []hostPort  // scratch: the current pod's host ports
}

// nodeState is the mutable part of a node, packed for the scan: one cache line.
type nodeState struct {
	free     resources // allocatable minus requests; may go negative when a node is overcommitted
	allocCPU int64
	allocMem int64
	usedCPU  int64 // requests with unset ones counted as defaults, for scoring
	usedMem  int64
	zone     int32
}

// NewSnapshot builds a snapshot from every node and every pod bound to one (spec.nodeName set)
// that has not terminated. Pods of unknown nodes, unbound pods and pods that succeeded or failed
// are ignored; of two nodes with one name the first is kept. The snapshot reads the nodes' label
// maps in place: do not change them while it is in use.
func NewSnapshot(nodes []*api.Node, pods []*api.Pod) *Snapshot {
	ordered, zones := orderNodes(nodes)
	s := &Snapshot{
		nodes:  make([]nodeFacts, len(ordered)),
		state:  make([]nodeState, len(ordered)),
		ports:  make([][]hostPort, len(ordered)),
		all:    make([]int32, len(ordered)),
		byName: make(map[string]int32, len(ordered)),
		zones:  zones,
		owners: make(map[string]*spread),
		sigs:   sigCache{byHash: make(map[uint64][]*signature)},
	}
	for i, n := range ordered {
		f := newNodeFacts(n)
		if z := n.Labels[LabelZone]; z != "" {
			j, _ := slices.BinarySearch(zones, z)
			f.zone = int32(j)
		}
		s.nodes[i] = f
		s.state[i] = nodeState{free: f.alloc, allocCPU: f.alloc.cpu, allocMem: f.alloc.mem, zone: f.zone}
		s.all[i] = int32(i)
		s.byName[n.Name] = int32(i)
	}
	for _, p := range pods {
		s.account(p)
	}
	return s
}

// account adds a bound pod's use to its node.
func (s *Snapshot) account(p *api.Pod) {
	if p == nil || p.Spec.NodeName == "" || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
		return
	}
	i, ok := s.byName[p.Spec.NodeName]
	if !ok {
		return
	}
	r := requestOf(&p.Spec)
	s.want = appendHostPorts(s.want[:0], &p.Spec)
	var own *spread
	if uid := controllerUID(p); uid != "" {
		own = s.ownerOf(uid)
	}
	s.place(i, &r, own)
}

// place records a pod on node i: its requests r, its host ports (s.want) and its owner's spread.
func (s *Snapshot) place(i int32, r *podRequest, own *spread) {
	st := &s.state[i]
	st.free.cpu -= r.cpu
	st.free.mem -= r.mem
	st.free.pods--
	st.usedCPU += r.nzCPU
	st.usedMem += r.nzMem
	if len(s.want) > 0 {
		s.ports[i] = append(s.ports[i], s.want...)
	}
	if own != nil {
		own.add(i, st.zone)
	}
	s.placed++
}

// orderNodes drops nameless and duplicate nodes and orders the rest for scanning: by name within
// each zone, taking one node of each zone in turn (zones by name, nodes without a zone first), as
// kube-scheduler's node tree does, so that any run of nodes spans the zones. It also returns the
// sorted zone names.
func orderNodes(nodes []*api.Node) ([]*api.Node, []string) {
	byName := slices.Clone(nodes)
	byName = slices.DeleteFunc(byName, func(n *api.Node) bool { return n == nil || n.Name == "" })
	slices.SortStableFunc(byName, func(a, b *api.Node) int { return cmp.Compare(a.Name, b.Name) })
	byName = slices.CompactFunc(byName, func(a, b *api.Node) bool { return a.Name == b.Name })

	groups := map[string][]*api.Node{}
	var zones []string
	for _, n := range byName {
		z := n.Labels[LabelZone]
		if _, ok := groups[z]; !ok {
			zones = append(zones, z)
		}
		groups[z] = append(groups[z], n)
	}
	slices.Sort(zones)
	ordered := make([]*api.Node, 0, len(byName))
	active := slices.Clone(zones)
	for round := 0; len(active) > 0; round++ {
		left := active[:0]
		for _, z := range active {
			if g := groups[z]; round < len(g) {
				ordered = append(ordered, g[round])
				left = append(left, z)
			}
		}
		active = left
	}
	if len(zones) > 0 && zones[0] == "" {
		zones = zones[1:]
	}
	return ordered, zones
}
