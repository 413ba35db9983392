package apiserver

import (
	"fmt"
	"net/http"

	"github.com/wk-project/wk/control/api"
)

// The cluster's pod network: 10.88.0.0/16, one /24 per node.
const podCIDRFormat = "10.88.%d.0/24"

// assignPodCIDR gives a new node without a pod CIDR the lowest free /24 of the cluster CIDR.
// Node creation holds s.nodeMu so two nodes never get the same one.
func (s *Server) assignPodCIDR(n *api.Node) error {
	if n.Spec.PodCIDR != "" {
		return nil
	}
	k := api.KindOf(n)
	kvs, _, err := s.store.List(k.StoreKey("", ""))
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, kv := range kvs {
		obj, err := fromKV(k, kv)
		if err == nil {
			used[obj.(*api.Node).Spec.PodCIDR] = true
		}
	}
	for i := 0; i < 256; i++ {
		cidr := fmt.Sprintf(podCIDRFormat, i)
		if !used[cidr] {
			n.Spec.PodCIDR, n.Spec.PodCIDRs = cidr, []string{cidr}
			return nil
		}
	}
	return api.NewStatusError(http.StatusServiceUnavailable, api.ReasonUnavailable, "no pod CIDR left in 10.88.0.0/16 for node %s", n.Name)
}
