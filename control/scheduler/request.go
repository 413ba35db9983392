package scheduler

import "github.com/wk-project/wk/control/api"

// What kube-scheduler counts for a container without a cpu or memory request when it scores (but
// not when it filters), so that request-less pods still spread.
const (
	defaultMilliCPURequest = 100       // 0.1 core
	defaultMemoryRequest   = 200 << 20 // 200 MiB
)

// podRequest is what one pod asks of a node.
type podRequest struct {
	cpu, mem     int64 // filtered against allocatable
	nzCPU, nzMem int64 // scored: unset requests count as the defaults above
}

// requestOf computes a pod's requests as Kubernetes does: per resource, the larger of the sum over
// its containers and the largest init container (init containers run one at a time, before the
// others). A container that sets a limit but no request requests its limit, as Kubernetes'
// defaulting makes it.
func requestOf(spec *api.PodSpec) podRequest {
	var sum podRequest
	for i := range spec.Containers {
		c := containerRequest(&spec.Containers[i].Resources)
		sum.cpu += c.cpu
		sum.mem += c.mem
		sum.nzCPU += c.nzCPU
		sum.nzMem += c.nzMem
	}
	for i := range spec.InitContainers {
		c := containerRequest(&spec.InitContainers[i].Resources)
		sum.cpu = max(sum.cpu, c.cpu)
		sum.mem = max(sum.mem, c.mem)
		sum.nzCPU = max(sum.nzCPU, c.nzCPU)
		sum.nzMem = max(sum.nzMem, c.nzMem)
	}
	return sum
}

func containerRequest(rr *api.ResourceRequirements) podRequest {
	var r podRequest
	r.nzCPU, r.nzMem = defaultMilliCPURequest, defaultMemoryRequest
	if q, ok := requested(rr, "cpu"); ok {
		r.cpu, r.nzCPU = q.MilliValue(), q.MilliValue()
	}
	if q, ok := requested(rr, "memory"); ok {
		r.mem, r.nzMem = q.Value(), q.Value()
	}
	return r
}

func requested(rr *api.ResourceRequirements, name string) (api.Quantity, bool) {
	if q, ok := rr.Requests[name]; ok {
		return q, true
	}
	q, ok := rr.Limits[name]
	return q, ok
}
