package netproxy

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

// ClusterDomain is the suffix of the cluster's fully qualified service names.
const ClusterDomain = "cluster.local"

// LookupNetIP resolves host as a pod of the namespace sees it: svc, svc.ns, svc.ns.svc and
// svc.ns.svc.cluster.local are the Service's ClusterIP; other names under the cluster's domain, and
// single labels, do not exist (a *net.DNSError with IsNotFound); the rest is asked of the system.
func (n PodNet) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	sv, found, err := n.p.lookupName(n.p.table.Load(), n.ns, host)
	if err != nil {
		return nil, err
	}
	if !found {
		return net.DefaultResolver.LookupNetIP(ctx, network, host)
	}
	if !sv.ip.IsValid() {
		return nil, notFound(host) // headless: no address of its own
	}
	if network == "ip6" {
		return nil, notFound(host)
	}
	return []netip.Addr{sv.ip}, nil
}

// lookupName finds the Service a name means in namespace ns. found is false for a name outside
// the cluster; err is a not-found *net.DNSError for a cluster name that names no Service.
func (p *Proxy) lookupName(t *table, ns, host string) (*service, bool, error) {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	key, cluster := serviceName(ns, name)
	if sv, ok := t.services[key]; ok {
		return sv, true, nil
	}
	if cluster {
		return nil, false, notFound(host)
	}
	// svc.ns where ns is not a namespace with Services: an outside name such as example.com.
	return nil, false, nil
}

// serviceName reads name as a service name relative to ns. cluster reports a name that can only
// mean something inside the cluster (one label, or under .svc or the cluster domain).
func serviceName(ns, name string) (key svcKey, cluster bool) {
	rest, full := strings.CutSuffix(name, "."+ClusterDomain)
	if !full && name == ClusterDomain {
		return svcKey{}, true
	}
	labels := strings.Split(rest, ".")
	switch {
	case full && (len(labels) != 3 || labels[2] != "svc"):
		return svcKey{}, true
	case len(labels) == 1:
		return svcKey{ns, labels[0]}, true
	case len(labels) == 2 && !full:
		return svcKey{labels[1], labels[0]}, false
	case len(labels) == 3 && labels[2] == "svc":
		return svcKey{labels[1], labels[0]}, true
	default:
		return svcKey{}, full || labels[len(labels)-1] == "svc"
	}
}

func notFound(host string) error {
	return &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}
