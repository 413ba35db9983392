package netproxy

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// serviceTarget is a Service port that a listener's connections are spliced to, or an Ingress
// path's requests proxied to.
type serviceTarget struct {
	namespace, name string
	port            string // service port name, or number when the port has no name
}

func (t serviceTarget) String() string {
	return t.namespace + "/" + t.name + ":" + t.port
}

// wantedListeners calls each for every Service in namespace/name order; the addresses each
// passes to want, with the service port to splice to, make the wanted listeners. When two
// Services want one address (the allocators should prevent it) the first wins and the others
// are returned as conflicts.
func wantedListeners(services []*api.Service, each func(s *api.Service, want func(addr string, p api.ServicePort))) (map[string]serviceTarget, []string) {
	svcs := slices.DeleteFunc(slices.Clone(services), func(s *api.Service) bool { return s == nil })
	slices.SortFunc(svcs, func(a, b *api.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	wanted := map[string]serviceTarget{}
	var conflicts []string
	for _, s := range svcs {
		each(s, func(addr string, p api.ServicePort) {
			t := serviceTarget{namespace: s.Namespace, name: s.Name, port: p.Name}
			if t.port == "" {
				t.port = strconv.Itoa(int(p.Port))
			}
			if prev, ok := wanted[addr]; ok {
				conflicts = append(conflicts, addr+" of "+t.String()+" is already "+prev.String())
				return
			}
			wanted[addr] = t
		})
	}
	return wanted, conflicts
}

// isTCP reports whether a service port carries TCP, the only protocol the listeners serve.
func isTCP(p api.ServicePort) bool {
	return p.Protocol == "" || p.Protocol == api.ProtocolTCP
}

// diffListeners says which listeners to start, which to stop, and which open ones now lead
// elsewhere; each list is sorted.
func diffListeners(want, running map[string]serviceTarget) (start, stop, retarget []string) {
	for addr, t := range want {
		cur, ok := running[addr]
		switch {
		case !ok:
			start = append(start, addr)
		case cur != t:
			retarget = append(retarget, addr)
		}
	}
	for addr := range running {
		if _, ok := want[addr]; !ok {
			stop = append(stop, addr)
		}
	}
	slices.Sort(start)
	slices.Sort(stop)
	slices.Sort(retarget)
	return start, stop, retarget
}
