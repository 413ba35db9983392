package scheduler

import "github.com/wk-project/wk/control/api"

// hostPort is a port a pod takes on its node's own addresses.
type hostPort struct {
	ip    string // "" or "0.0.0.0" for every address
	proto string
	port  int32
}

func (p hostPort) wildcard() bool { return p.ip == "" || p.ip == "0.0.0.0" }

// conflicts reports whether two host ports cannot both be bound, as kube-scheduler's NodePorts
// filter sees it: same protocol and port, and the same address or a wildcard on either side.
func (p hostPort) conflicts(q hostPort) bool {
	return p.port == q.port && p.proto == q.proto && (p.ip == q.ip || p.wildcard() || q.wildcard())
}

// appendHostPorts appends the host ports of a pod's containers to dst. A host-network pod takes
// its container ports on the host, as Kubernetes' defaulting makes hostPort = containerPort.
func appendHostPorts(dst []hostPort, spec *api.PodSpec) []hostPort {
	for i := range spec.Containers {
		for _, p := range spec.Containers[i].Ports {
			port := p.HostPort
			if port == 0 && spec.HostNetwork {
				port = p.ContainerPort
			}
			if port <= 0 {
				continue
			}
			proto := p.Protocol
			if proto == "" {
				proto = api.ProtocolTCP
			}
			dst = append(dst, hostPort{ip: p.HostIP, proto: proto, port: port})
		}
	}
	return dst
}

// portsFree reports whether none of want conflicts with used.
func portsFree(used, want []hostPort) bool {
	for _, w := range want {
		for _, u := range used {
			if w.conflicts(u) {
				return false
			}
		}
	}
	return true
}
