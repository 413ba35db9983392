package netproxy

import (
	"net/netip"
	"strings"
)

// LookupService is the cluster DNS server's lookup (see NewDNSServer): a Service's fully
// qualified name (web.default.svc.cluster.local) or svc.ns form gives its ClusterIP, a headless
// Service no address. A single label means nothing without the asker's namespace: a pod's
// resolv.conf search list turns it into the full name first.
func (p *Proxy) LookupService(name string) ([]netip.Addr, bool) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	key, _ := serviceName("", name)
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
