package netproxy

import "net/netip"

// LookupService is the cluster DNS server's lookup (see NewDNSServer): a Service's fully
// qualified name (web.default.svc.cluster.local) or svc.ns form gives its ClusterIP, a headless
// Service no address. A single label means nothing without the asker's namespace: a pod's
// resolv.conf search list turns it into the full name first.
func (p *Proxy) LookupService(name string) ([]netip.Addr, bool) {
	key, _ := serviceName("", name) // the server gives names in lower case, without the final dot
	if key.namespace == "" || key.name == "" {
		return nil, false
	}
	sv, ok := p.table.Load().services[key]
	if !ok {
		return nil, false
	}
	if !sv.ip.IsValid() {
		return nil, true
	}
	return []netip.Addr{sv.ip}, true
}
