package apiserver

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// Service addresses. ClusterIPs come from 10.96.0.0/16 without its network and broadcast
// addresses; 10.96.0.1 is kept for the `kubernetes` service and only given when asked for. As in
// Kubernetes (KEP-3070), 10.96.0.0/24 is a static band: an address is taken from it only when
// asked for or when the rest is full, so that well-known addresses (the cluster DNS's) stay free.
// Others get the lowest free address from 10.96.1.0 on. Node ports come from
// api.NodePortMin-api.NodePortMax, as Kubernetes' default range, picked at random.
//
// There is no allocation record: the addresses in use are those of the stored Services, read
// under s.serviceMu by every write that may take one. A delete frees them by removing the
// Service, and a restart finds them in the store.
var (
	serviceCIDR     = api.ServiceCIDR
	serviceCIDRText = api.ServiceCIDR.String()
)

const (
	reservedIPIndex  = 1   // 10.96.0.1
	dynamicIPsOffset = 256 // 10.96.1.0: below it, the static band
)

// serviceAddresses are the cluster IPs and node ports that Services hold.
type serviceAddresses struct {
	ips   map[netip.Addr]bool
	ports map[int32]bool
}

// lockServices holds s.serviceMu while a write of t may allocate service addresses, and
// returns the unlock; for any other write it does nothing.
func (s *Server) lockServices(t target) func() {
	if t.kind.Kind != "Service" || t.sub != "" {
		return func() {}
	}
	s.serviceMu.Lock()
	return s.serviceMu.Unlock
}

// usedServiceAddresses reads the addresses of every stored Service but the one at key skip.
func (s *Server) usedServiceAddresses(k *api.Kind, skip string) (serviceAddresses, error) {
	used := serviceAddresses{ips: map[netip.Addr]bool{}, ports: map[int32]bool{}}
	kvs, _, err := s.store.List(k.StoreKey("", ""))
	if err != nil {
		return used, storeError(err, target{kind: k}, "")
	}
	for _, kv := range kvs {
		if kv.Key == skip {
			continue
		}
		obj, err := fromKV(k, kv)
		if err != nil {
			return used, err
		}
		svc := obj.(*api.Service)
		if ip, err := netip.ParseAddr(svc.Spec.ClusterIP); err == nil {
			used.ips[ip] = true
		}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				used.ports[p.NodePort] = true
			}
		}
	}
	return used, nil
}

// allocateServiceAddresses gives svc a cluster IP and its ports node ports where it needs them
// and has none, and checks those it asks for against the other Services (on update, its own stored
// addresses are its own). The caller holds s.serviceMu until the write is stored.
func (s *Server) allocateServiceAddresses(k *api.Kind, svc *api.Service) error {
	if svc.Spec.Type == api.ServiceTypeExternalName {
		return nil
	}
	used, err := s.usedServiceAddresses(k, k.StoreKey(svc.Namespace, svc.Name))
	if err != nil {
		return err
	}
	var errs api.ErrorList
	if err := allocateClusterIP(svc, used); err != nil {
		if fe, ok := err.(api.FieldError); ok {
			errs = append(errs, fe)
		} else {
			return err
		}
	}
	if svc.Spec.Type == api.ServiceTypeNodePort || svc.Spec.Type == api.ServiceTypeLoadBalancer {
		perrs, err := allocateNodePorts(svc, used)
		if err != nil {
			return err
		}
		errs = append(errs, perrs...)
	}
	if len(errs) > 0 {
		return api.NewInvalid(k, svc.Name, errs)
	}
	return nil
}

// allocateClusterIP fills in or checks spec.clusterIP. It returns an api.FieldError for a
// request that cannot be met, another error when the range is full.
func allocateClusterIP(svc *api.Service, used serviceAddresses) error {
	spec := &svc.Spec
	if spec.ClusterIP == "" && len(spec.ClusterIPs) > 0 {
		spec.ClusterIP = spec.ClusterIPs[0]
	}
	switch spec.ClusterIP {
	case "None":
		spec.ClusterIPs = []string{"None"}
		return nil
	case "":
		ip, ok := freeClusterIP(used.ips, dynamicIPsOffset)
		if !ok {
			return api.NewStatusError(http.StatusInternalServerError, api.ReasonInternal,
				"failed to allocate a cluster IP for service %s: the range %s is full", svc.Name, serviceCIDRText)
		}
		spec.ClusterIP = ip.String()
	default:
		ip, err := netip.ParseAddr(spec.ClusterIP)
		if err != nil {
			return nil // validation has reported it
		}
		if !clusterIPInRange(ip) {
			return clusterIPError(ip, "provided IP is not in the valid range. The range of valid IPs is "+serviceCIDRText)
		}
		if used.ips[ip] {
			return clusterIPError(ip, "provided IP is already allocated")
		}
		spec.ClusterIP = ip.String()
	}
	spec.ClusterIPs = []string{spec.ClusterIP}
	return nil
}

func clusterIPError(ip netip.Addr, detail string) api.FieldError {
	return api.FieldError{Path: "spec.clusterIP", Reason: api.FieldValueInvalid,
		Msg: "Invalid value: " + strconv.Quote(ip.String()) + ": " + detail}
}

// clusterIPInRange reports whether ip is a host address of the service CIDR.
func clusterIPInRange(ip netip.Addr) bool {
	if !serviceCIDR.Contains(ip) {
		return false
	}
	i := ipIndex(ip)
	return i != 0 && i != 1<<16-1
}

// ipIndex is ip's offset in the service CIDR.
func ipIndex(ip netip.Addr) int {
	b := ip.As4()
	return int(b[2])<<8 | int(b[3])
}

// freeClusterIP is the first free allocatable address from offset start on, wrapping around:
// never the network, broadcast or reserved address.
func freeClusterIP(used map[netip.Addr]bool, start int) (netip.Addr, bool) {
	base := serviceCIDR.Addr().As4()
	for n := range 1 << 16 {
		i := (start + n) % (1 << 16)
		if i == 0 || i == reservedIPIndex || i == 1<<16-1 {
			continue
		}
		ip := netip.AddrFrom4([4]byte{base[0], base[1], byte(i >> 8), byte(i)})
		if !used[ip] {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// allocateNodePorts checks the node ports svc asks for against the other Services, then gives
// every port without one a random free one. A number asked for twice within svc (TCP and UDP of
// one port) is allowed, as in Kubernetes; validation has checked the range.
func allocateNodePorts(svc *api.Service, used serviceAddresses) (api.ErrorList, error) {
	var errs api.ErrorList
	mine := map[int32]bool{}
	for i, p := range svc.Spec.Ports {
		if p.NodePort == 0 {
			continue
		}
		if used.ports[p.NodePort] {
			errs = append(errs, api.FieldError{Path: fmt.Sprintf("spec.ports[%d].nodePort", i), Reason: api.FieldValueInvalid,
				Msg: fmt.Sprintf("Invalid value: %d: provided port is already allocated", p.NodePort)})
		}
		mine[p.NodePort] = true
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort != 0 {
			continue
		}
		port, ok := freeNodePort(used.ports, mine, rand.IntN(api.NodePortMax-api.NodePortMin+1))
		if !ok {
			return nil, api.NewStatusError(http.StatusInternalServerError, api.ReasonInternal,
				"failed to allocate a node port for service %s: the range %d-%d is full", svc.Name, api.NodePortMin, api.NodePortMax)
		}
		p.NodePort = port
		mine[port] = true
	}
	return errs, nil
}

// freeNodePort is the first port of the range from offset start on, wrapping around, that neither
// set holds.
func freeNodePort(used, mine map[int32]bool, start int) (int32, bool) {
	size := api.NodePortMax - api.NodePortMin + 1
	for n := range size {
		port := int32(api.NodePortMin + (start+n)%size)
		if !used[port] && !mine[port] {
			return port, true
		}
	}
	return 0, false
}
