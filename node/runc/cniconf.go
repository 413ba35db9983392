package runc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// cniVersion is the version of the CNI spec that the configurations and results follow.
const cniVersion = "1.0.0"

// maxNetnsName is the longest netns name, a file name in /run/netns (NAME_MAX).
const maxNetnsName = 255

// netConf is a plugin's network configuration, given to it on stdin.
type netConf struct {
	CNIVersion  string    `json:"cniVersion"`
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Bridge      string    `json:"bridge,omitempty"`
	IsGateway   bool      `json:"isGateway,omitempty"`
	HairpinMode bool      `json:"hairpinMode,omitempty"`
	IPAM        *ipamConf `json:"ipam,omitempty"` // ipMasq is left out: false
}

// ipamConf configures host-local.
type ipamConf struct {
	Type    string        `json:"type"`
	DataDir string        `json:"dataDir"`
	Ranges  [][]ipamRange `json:"ranges"`
	Routes  []ipamRoute   `json:"routes"`
}

type ipamRange struct {
	Subnet     netip.Prefix `json:"subnet"`
	RangeStart netip.Addr   `json:"rangeStart,omitzero"`
	RangeEnd   netip.Addr   `json:"rangeEnd,omitzero"`
	Gateway    netip.Addr   `json:"gateway"`
}

type ipamRoute struct {
	Dst netip.Prefix `json:"dst"`
}

func (n *Network) loopbackConf() netConf {
	return netConf{CNIVersion: cniVersion, Name: n.Name, Type: "loopback"}
}

// bridgeConf configures bridge, with host-local handing out the range ip-ip and a default route
// via the gateway. DEL releases whatever the pod holds, so it takes the zero ip: the whole subnet.
func (n *Network) bridgeConf(ip netip.Addr) netConf {
	subnet := n.Subnet.Masked()
	unspecified := netip.IPv4Unspecified()
	if subnet.Addr().Is6() {
		unspecified = netip.IPv6Unspecified()
	}
	return netConf{
		CNIVersion:  cniVersion,
		Name:        n.Name,
		Type:        "bridge",
		Bridge:      n.Bridge,
		IsGateway:   true,
		HairpinMode: true,
		IPAM: &ipamConf{
			Type:    "host-local",
			DataDir: n.StateDir,
			Ranges:  [][]ipamRange{{{Subnet: subnet, RangeStart: ip, RangeEnd: ip, Gateway: n.Gateway()}}},
			Routes:  []ipamRoute{{Dst: netip.PrefixFrom(unspecified, 0)}},
		},
	}
}

// checkResult checks that the result of bridge's ADD gives the pod want.
func checkResult(result []byte, want netip.Prefix) error {
	var res struct {
		IPs []struct {
			Address netip.Prefix `json:"address"`
		} `json:"ips"`
	}
	if err := json.Unmarshal(result, &res); err != nil {
		return fmt.Errorf("cni plugin bridge ADD: read result: %w", err)
	}
	var got []netip.Prefix
	for _, ip := range res.IPs {
		if ip.Address == want {
			return nil
		}
		got = append(got, ip.Address)
	}
	return fmt.Errorf("cni plugin bridge ADD: got addresses %v, want %s", got, want)
}

// check validates the network and pod id, and returns the plugins' folder.
func (n *Network) check(id string) (string, error) {
	switch {
	case !validName(n.Name):
		return "", fmt.Errorf("network name %q: want letters, digits, '_', '.' and '-'", n.Name)
	case n.Bridge == "" || len(n.Bridge) > maxIfname || strings.ContainsAny(n.Bridge, "/: \t\n"):
		return "", fmt.Errorf("bridge name %q: want at most %d bytes, no '/', ':' or space", n.Bridge, maxIfname)
	case !n.Subnet.IsValid() || n.Subnet.Addr().Is4In6():
		return "", fmt.Errorf("subnet %s: not a valid prefix", n.Subnet)
	case n.Subnet.Addr().BitLen()-n.Subnet.Bits() < 2:
		return "", fmt.Errorf("subnet %s: too small for a gateway and pods", n.Subnet)
	case n.StateDir == "":
		return "", errors.New("no state dir for host-local")
	case !validName(id) || len(n.netnsName(id)) > maxNetnsName:
		return "", fmt.Errorf("pod id %q: not usable in a netns name", id)
	}
	return FindPlugins(n.PluginDir)
}

// checkAddr checks that ip is a pod address of the subnet: neither its network address, its
// gateway nor (IPv4) its broadcast address.
func (n *Network) checkAddr(ip netip.Addr) error {
	subnet := n.Subnet.Masked()
	if !ip.IsValid() || !subnet.Contains(ip) {
		return fmt.Errorf("ip %s: not in subnet %s", ip, subnet)
	}
	if ip == subnet.Addr() || ip == n.Gateway() || ip == lastAddr(subnet) && ip.Is4() {
		return fmt.Errorf("ip %s: the network, gateway or broadcast address of %s", ip, subnet)
	}
	return nil
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := range b {
		if netBits := p.Bits() - 8*i; netBits < 8 {
			b[i] |= 0xff >> max(netBits, 0)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// validName reports whether s is a name made of letters, digits, '_', '.' and '-', starting with
// a letter or digit, that fits in a file name.
func validName(s string) bool {
	if s == "" || len(s) > maxNetnsName {
		return false
	}
	for i, c := range s {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_.-", c)) {
			return false
		}
	}
	return true
}
