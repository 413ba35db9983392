package netproxy

import (
	"net/netip"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// table is an immutable snapshot of the Services and their ready endpoints, rebuilt on every
// change and swapped in whole.
type table struct {
	services map[svcKey]*service
	byIP     map[netip.Addr]*service // by ClusterIP
}

type svcKey struct{ namespace, name string }

func (k svcKey) String() string { return k.namespace + "/" + k.name }

// service is one Service as the proxy balances it.
type service struct {
	key       svcKey
	ip        netip.Addr // invalid for a headless Service
	ports     []api.ServicePort
	leastConn bool
	backends  map[string][]backend // by service port name: the ready endpoints of that port
}

// backend is one ready endpoint of a service port.
type backend struct {
	addr netip.AddrPort // pod IP and target port
	node string         // the pod's node, "" when the Endpoints do not say
}

// port finds a service port by number or name.
func (s *service) port(p string) (api.ServicePort, bool) {
	n, err := strconv.Atoi(p)
	for _, sp := range s.ports {
		if (err == nil && int(sp.Port) == n) || (err != nil && sp.Name == p) {
			return sp, true
		}
	}
	return api.ServicePort{}, false
}

// buildTable joins Services with their Endpoints (same namespace and name). An endpoint port
// belongs to the service port of the same name; a Service and Endpoints with one port each go
// together whatever the names.
func buildTable(svcs []*api.Service, eps []*api.Endpoints) *table {
	t := &table{services: map[svcKey]*service{}, byIP: map[netip.Addr]*service{}}
	for _, s := range svcs {
		if s.Spec.Type == api.ServiceTypeExternalName {
			continue
		}
		k := svcKey{s.Namespace, s.Name}
		sv := &service{
			key:       k,
			ports:     s.Spec.Ports,
			leastConn: s.Annotations[LoadBalancerAnnotation] == "least-connections",
			backends:  map[string][]backend{},
		}
		if ip, err := netip.ParseAddr(s.Spec.ClusterIP); err == nil {
			sv.ip = ip
			t.byIP[ip] = sv
		}
		t.services[k] = sv
	}
	for _, e := range eps {
		sv, ok := t.services[svcKey{e.Namespace, e.Name}]
		if !ok {
			continue
		}
		for _, sub := range e.Subsets {
			for _, sp := range sv.ports {
				ep, ok := endpointPort(sv.ports, sp, sub.Ports)
				if !ok {
					continue
				}
				for _, a := range sub.Addresses {
					ip, err := netip.ParseAddr(a.IP)
					if err != nil {
						continue
					}
					b := backend{addr: netip.AddrPortFrom(ip, uint16(ep.Port))}
					if a.NodeName != nil {
						b.node = *a.NodeName
					}
					sv.backends[sp.Name] = append(sv.backends[sp.Name], b)
				}
			}
		}
	}
	return t
}

func endpointPort(all []api.ServicePort, sp api.ServicePort, eps []api.EndpointPort) (api.EndpointPort, bool) {
	for _, ep := range eps {
		if ep.Name == sp.Name && (ep.Protocol == "" || sp.Protocol == "" || ep.Protocol == sp.Protocol) {
			return ep, true
		}
	}
	if len(all) == 1 && len(eps) == 1 {
		return eps[0], true
	}
	return api.EndpointPort{}, false
}
