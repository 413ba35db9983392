package control

import (
	"net"
	"os"
)

// servingHosts are the names and addresses the API's certificate is valid for: loopback, the
// APIAddr's host, the advertised addresses, this machine's host name and its interface addresses.
func servingHosts(cfg Config) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if host, _, err := net.SplitHostPort(cfg.APIAddr); err == nil && !isUnspecified(host) {
		hosts = append(hosts, host)
	}
	hosts = append(hosts, cfg.AdvertiseAddrs...)
	if name, err := os.Hostname(); err == nil && name != "" {
		hosts = append(hosts, name)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				hosts = append(hosts, ipn.IP.String())
			}
		}
	}
	return hosts
}

// isUnspecified says whether a listen host means every address: "", "0.0.0.0" or "::".
func isUnspecified(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}
