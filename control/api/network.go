package api

import "net/netip"

// The cluster's address ranges, the same in every cluster.
var (
	// ClusterCIDR holds every pod IP; each node gets a /24 of it.
	ClusterCIDR = netip.MustParsePrefix("10.88.0.0/16")
	// ServiceCIDR holds every ClusterIP.
	ServiceCIDR = netip.MustParsePrefix("10.96.0.0/16")
)
