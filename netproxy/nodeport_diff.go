package netproxy

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// nodePortTarget is the Service port that connections to a node port are spliced to.
type nodePortTarget struct {
	namespace, name string
	port            string // service port name, or number when the port has no name
}

func (t nodePortTarget) String() string {
	return t.namespace + "/" + t.name + ":" + t.port
}

// desiredNodePorts maps each TCP nodePort of every NodePort or LoadBalancer Service to its
// target. When two Services claim one nodePort (the allocator should prevent it) the first by
// namespace/name wins and the others are returned as conflicts.
func desiredNodePorts(services []*api.Service) (want map[int32]nodePortTarget, conflicts []string) {
	svcs := slices.DeleteFunc(slices.Clone(services), func(s *api.Service) bool { return s == nil })
	slices.SortFunc(svcs, func(a, b *api.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	want = map[int32]nodePortTarget{}
	for _, s := range svcs {
		if s.Spec.Type != api.ServiceTypeNodePort && s.Spec.Type != api.ServiceTypeLoadBalancer {
			continue
		}
		for _, p := range s.Spec.Ports {
			if p.NodePort <= 0 || (p.Protocol != "" && p.Protocol != api.ProtocolTCP) {
				continue
			}
			t := nodePortTarget{namespace: s.Namespace, name: s.Name, port: p.Name}
			if t.port == "" {
				t.port = strconv.Itoa(int(p.Port))
			}
			if prev, ok := want[p.NodePort]; ok {
				conflicts = append(conflicts, "nodePort "+strconv.Itoa(int(p.NodePort))+" of "+t.String()+" is already "+prev.String())
				continue
			}
			want[p.NodePort] = t
		}
	}
	return want, conflicts
}

// diffNodePorts says which listeners to start, which to stop, and which open ones now lead
// elsewhere; each list is sorted.
func diffNodePorts(want, running map[int32]nodePortTarget) (start, stop, retarget []int32) {
	for port, t := range want {
		cur, ok := running[port]
		switch {
		case !ok:
			start = append(start, port)
		case cur != t:
			retarget = append(retarget, port)
		}
	}
	for port := range running {
		if _, ok := want[port]; !ok {
			stop = append(stop, port)
		}
	}
	slices.Sort(start)
	slices.Sort(stop)
	slices.Sort(retarget)
	return start, stop, retarget
}
