package scheduler

import (
	"testing"

	"github.com/wk-project/wk/control/api"
)

// TestFilters places one pod on a one-node cluster: it either lands, or the decision gives the
// filter's reason.
func TestFilters(t *testing.T) {
	const (
		unready     = "0/1 nodes are available: 1 node(s) were not ready."
		cordon      = "0/1 nodes are available: 1 node(s) were unschedulable."
		noMatch     = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
		noPorts     = "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports."
		noRunc      = "0/1 nodes are available: 1 node(s) didn't offer the runc runtime."
		noCPU       = "0/1 nodes are available: 1 Insufficient cpu."
		noMemory    = "0/1 nodes are available: 1 Insufficient memory."
		tooMany     = "0/1 nodes are available: 1 Too many pods."
		gpuTaint    = "0/1 nodes are available: 1 node(s) had untolerated taint {gpu: nvidia}."
		noExecTaint = "0/1 nodes are available: 1 node(s) had untolerated taint {draining: }."
	)
	gpu := taint("gpu", "nvidia", api.TaintNoSchedule)
	bound := func(opts ...podOpt) []*api.Pod { return []*api.Pod{pod("old", append(opts, boundTo("n1"))...)} }
	tests := []struct {
		name   string
		node   *api.Node
		bound  []*api.Pod
		pod    *api.Pod
		reason string // "" when the pod should land on n1
	}{
		{name: "ready", node: node("n1"), pod: pod("p")},
		{name: "not ready", node: node("n1", notReady), pod: pod("p"), reason: unready},
		{name: "no ready condition", node: node("n1", func(n *api.Node) { n.Status.Conditions = nil }), pod: pod("p"), reason: unready},
		{name: "not ready, tolerated", node: node("n1", notReady), pod: pod("p", tolerate(TaintNotReady, "Exists", "", api.TaintNoSchedule))},
		{name: "cordoned", node: node("n1", cordoned), pod: pod("p"), reason: cordon},
		{name: "cordoned, tolerated", node: node("n1", cordoned), pod: pod("p", tolerate(TaintUnschedulable, "Exists", "", ""))},
		{name: "not ready wins over cordoned", node: node("n1", notReady, cordoned), pod: pod("p"), reason: unready},

		{name: "NoSchedule taint", node: node("n1", gpu), pod: pod("p"), reason: gpuTaint},
		{name: "NoExecute taint", node: node("n1", taint("draining", "", api.TaintNoExecute)), pod: pod("p"), reason: noExecTaint},
		{name: "PreferNoSchedule taint does not filter", node: node("n1", taint("gpu", "nvidia", api.TaintPreferNoSched)), pod: pod("p")},
		{name: "Equal toleration", node: node("n1", gpu), pod: pod("p", tolerate("gpu", "Equal", "nvidia", api.TaintNoSchedule))},
		{name: "default operator is Equal", node: node("n1", gpu), pod: pod("p", tolerate("gpu", "", "nvidia", ""))},
		{name: "Equal toleration, other value", node: node("n1", gpu), pod: pod("p", tolerate("gpu", "Equal", "amd", api.TaintNoSchedule)), reason: gpuTaint},
		{name: "Exists toleration", node: node("n1", gpu), pod: pod("p", tolerate("gpu", "Exists", "", api.TaintNoSchedule))},
		{name: "Exists toleration, other key", node: node("n1", gpu), pod: pod("p", tolerate("tpu", "Exists", "", "")), reason: gpuTaint},
		{name: "empty key Exists tolerates all", node: node("n1", gpu, taint("draining", "", api.TaintNoExecute), notReady, cordoned), pod: pod("p", tolerate("", "Exists", "", ""))},
		{name: "effect must match", node: node("n1", gpu), pod: pod("p", tolerate("gpu", "Exists", "", api.TaintNoExecute)), reason: gpuTaint},
		{name: "first untolerated taint is named", node: node("n1", taint("ok", "", api.TaintNoSchedule), gpu), pod: pod("p", tolerate("ok", "Exists", "", "")), reason: gpuTaint},

		{name: "nodeSelector matches", node: node("n1", label("disk", "ssd"), label("x", "y")), pod: pod("p", nodeSelector("disk", "ssd"))},
		{name: "nodeSelector other value", node: node("n1", label("disk", "hdd")), pod: pod("p", nodeSelector("disk", "ssd")), reason: noMatch},
		{name: "nodeSelector missing label", node: node("n1"), pod: pod("p", nodeSelector("disk", "ssd")), reason: noMatch},
		{name: "affinity In", node: node("n1", label("disk", "ssd")), pod: pod("p", required(term(expr("disk", "In", "nvme", "ssd"))))},
		{name: "affinity In, no match", node: node("n1", label("disk", "hdd")), pod: pod("p", required(term(expr("disk", "In", "nvme", "ssd")))), reason: noMatch},
		{name: "affinity NotIn", node: node("n1", label("disk", "hdd")), pod: pod("p", required(term(expr("disk", "NotIn", "ssd"))))},
		{name: "affinity NotIn, label absent", node: node("n1"), pod: pod("p", required(term(expr("disk", "NotIn", "ssd"))))},
		{name: "affinity NotIn, no match", node: node("n1", label("disk", "ssd")), pod: pod("p", required(term(expr("disk", "NotIn", "ssd")))), reason: noMatch},
		{name: "affinity Exists", node: node("n1", label("disk", "")), pod: pod("p", required(term(expr("disk", "Exists"))))},
		{name: "affinity Exists, no match", node: node("n1"), pod: pod("p", required(term(expr("disk", "Exists")))), reason: noMatch},
		{name: "affinity DoesNotExist", node: node("n1"), pod: pod("p", required(term(expr("disk", "DoesNotExist"))))},
		{name: "affinity DoesNotExist, no match", node: node("n1", label("disk", "ssd")), pod: pod("p", required(term(expr("disk", "DoesNotExist")))), reason: noMatch},
		{name: "affinity Gt", node: node("n1", label("cores", "16")), pod: pod("p", required(term(expr("cores", "Gt", "8"))))},
		{name: "affinity Gt, equal", node: node("n1", label("cores", "8")), pod: pod("p", required(term(expr("cores", "Gt", "8")))), reason: noMatch},
		{name: "affinity Gt, not a number", node: node("n1", label("cores", "many")), pod: pod("p", required(term(expr("cores", "Gt", "8")))), reason: noMatch},
		{name: "affinity Lt", node: node("n1", label("cores", "4")), pod: pod("p", required(term(expr("cores", "Lt", "8"))))},
		{name: "affinity Lt, no match", node: node("n1", label("cores", "16")), pod: pod("p", required(term(expr("cores", "Lt", "8")))), reason: noMatch},
		{name: "affinity unknown operator", node: node("n1", label("disk", "ssd")), pod: pod("p", required(term(expr("disk", "Like", "ssd")))), reason: noMatch},
		{name: "expressions are ANDed", node: node("n1", label("disk", "ssd"), label("arch", "arm64")), pod: pod("p", required(term(expr("disk", "In", "ssd"), expr("arch", "In", "amd64")))), reason: noMatch},
		{name: "terms are ORed", node: node("n1", label("disk", "ssd"), label("arch", "arm64")), pod: pod("p", required(term(expr("arch", "In", "amd64")), term(expr("disk", "In", "ssd"))))},
		{name: "empty term matches nothing", node: node("n1"), pod: pod("p", required(api.NodeSelectorTerm{})), reason: noMatch},
		{name: "no terms match nothing", node: node("n1"), pod: pod("p", required()), reason: noMatch},
		{name: "matchFields metadata.name In", node: node("n1"), pod: pod("p", required(fieldTerm(expr("metadata.name", "In", "n0", "n1"))))},
		{name: "matchFields metadata.name In, other node", node: node("n1"), pod: pod("p", required(fieldTerm(expr("metadata.name", "In", "n2")))), reason: noMatch},
		{name: "matchFields metadata.name NotIn", node: node("n1"), pod: pod("p", required(fieldTerm(expr("metadata.name", "NotIn", "n1")))), reason: noMatch},
		{name: "matchFields other field", node: node("n1"), pod: pod("p", required(fieldTerm(expr("metadata.uid", "In", "n1")))), reason: noMatch},
		{name: "nodeSelector and affinity both apply", node: node("n1", label("disk", "ssd")), pod: pod("p", nodeSelector("disk", "ssd"), required(term(expr("disk", "NotIn", "ssd")))), reason: noMatch},

		{name: "runc on a runc node", node: node("n1", label(LabelRuntimeRunc, "true")), pod: pod("p", runtimeClass("runc"))},
		{name: "runc elsewhere", node: node("n1"), pod: pod("p", runtimeClass("runc")), reason: noRunc},
		{name: "runc label false", node: node("n1", label(LabelRuntimeRunc, "false")), pod: pod("p", runtimeClass("runc")), reason: noRunc},
		{name: "wasm anywhere", node: node("n1"), pod: pod("p", runtimeClass("wasm"))},

		{name: "host port free", node: node("n1"), bound: bound(hostPorts(80)), pod: pod("p", hostPorts(443))},
		{name: "host port taken", node: node("n1"), bound: bound(hostPorts(80)), pod: pod("p", hostPorts(443, 80)), reason: noPorts},
		{name: "host port, other protocol", node: node("n1"), bound: bound(hostPorts(53)), pod: pod("p", hostPorts(53), func(p *api.Pod) { p.Spec.Containers[0].Ports[0].Protocol = "UDP" })},
		{name: "host port, other addresses", node: node("n1"), bound: bound(hostPorts(80), hostIP("10.0.0.1")), pod: pod("p", hostPorts(80), hostIP("10.0.0.2"))},
		{name: "host port, wildcard vs address", node: node("n1"), bound: bound(hostPorts(80)), pod: pod("p", hostPorts(80), hostIP("10.0.0.2")), reason: noPorts},
		{name: "host network takes container ports", node: node("n1"), bound: bound(hostPorts(8080)), pod: pod("p", func(p *api.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.Containers[0].Ports = []api.ContainerPort{{ContainerPort: 8080}}
		}), reason: noPorts},
		{name: "container port alone takes nothing", node: node("n1"), bound: bound(hostPorts(8080)), pod: pod("p", func(p *api.Pod) {
			p.Spec.Containers[0].Ports = []api.ContainerPort{{ContainerPort: 8080}}
		})},

		{name: "fits exactly", node: node("n1", alloc("1", "1Gi", "2")), bound: bound(requests("500m", "512Mi")), pod: pod("p", requests("500m", "512Mi"))},
		{name: "cpu short", node: node("n1", alloc("1", "1Gi", "2")), bound: bound(requests("500m", "")), pod: pod("p", requests("501m", "")), reason: noCPU},
		{name: "memory short", node: node("n1", alloc("1", "1Gi", "10")), pod: pod("p", requests("", "2Gi")), reason: noMemory},
		{name: "pods full", node: node("n1", alloc("1", "1Gi", "1")), bound: bound(), pod: pod("p"), reason: tooMany},
		{name: "no pods allocatable", node: node("n1", alloc("1", "1Gi", "")), pod: pod("p"), reason: tooMany},
		{name: "every short resource is a reason", node: node("n1", alloc("1", "1Gi", "1")), bound: bound(), pod: pod("p", requests("2", "2Gi")),
			reason: "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods."},
		{name: "zero request fits an overcommitted node", node: node("n1", alloc("1", "1Gi", "10")), bound: bound(requests("2", "2Gi")), pod: pod("p")},
		{name: "capacity when no allocatable", node: node("n1", func(n *api.Node) {
			n.Status.Capacity, n.Status.Allocatable = n.Status.Allocatable, nil
		}), pod: pod("p", requests("3", "7Gi"))},
		{name: "containers add up", node: node("n1", alloc("1", "1Gi", "10")), pod: pod("p", requests("600m", ""), sidecar(resourceList("600m", ""))), reason: noCPU},
		{name: "limits stand in for requests", node: node("n1", alloc("1", "1Gi", "10")), pod: pod("p", func(p *api.Pod) {
			p.Spec.Containers[0].Resources.Limits = resourceList("", "2Gi")
		}), reason: noMemory},
		{name: "largest init container counts", node: node("n1", alloc("1", "1Gi", "10")), pod: pod("p", requests("100m", ""), initContainer(resourceList("2", ""))), reason: noCPU},
		{name: "init containers do not add up", node: node("n1", alloc("1", "1Gi", "10")), pod: pod("p", requests("100m", ""), initContainer(resourceList("1", "")), initContainer(resourceList("1", "")))},
		{name: "bound pods of other nodes do not count", node: node("n1", alloc("1", "1Gi", "10")), bound: []*api.Pod{pod("o", boundTo("n2"), requests("1", ""))}, pod: pod("p", requests("1", ""))},
		{name: "finished pods do not count", node: node("n1", alloc("1", "1Gi", "10")), bound: bound(requests("1", ""), func(p *api.Pod) { p.Status.Phase = api.PodSucceeded }), pod: pod("p", requests("1", ""))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := NewSnapshot([]*api.Node{tt.node}, tt.bound)
			d := Schedule(snap, []*api.Pod{tt.pod}, now)[0]
			want := Decision{Pod: tt.pod, NodeName: "n1", Reason: tt.reason}
			if tt.reason != "" {
				want.NodeName = ""
			}
			if d != want {
				t.Errorf("got node %q reason %q, want node %q reason %q", d.NodeName, d.Reason, want.NodeName, want.Reason)
			}
		})
	}
}

func hostIP(ip string) podOpt {
	return func(p *api.Pod) {
		for i := range p.Spec.Containers[0].Ports {
			p.Spec.Containers[0].Ports[i].HostIP = ip
		}
	}
}

func sidecar(req api.ResourceList) podOpt {
	return func(p *api.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: "side", Resources: api.ResourceRequirements{Requests: req}})
	}
}

func initContainer(req api.ResourceList) podOpt {
	return func(p *api.Pod) {
		p.Spec.InitContainers = append(p.Spec.InitContainers, api.Container{Name: "init", Resources: api.ResourceRequirements{Requests: req}})
	}
}
