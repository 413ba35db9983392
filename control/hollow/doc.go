// Package hollow runs hollow nodes, fake node agents in the manner of Kubernetes' kubemark: each
// registers a Node with capacity, labels and taints, heartbeats rarely, and reports the pods bound
// to it Running and Ready without running them. Everything else is real, so the package can
// measure the control plane: Run is the scheduling benchmark behind `wk bench schedule`, the
// durable store, the API server's create, bind and status logic, the controllers and the
// scheduler loop in one process, driven through the API server's in-process client.
//
// The workload is ReplicaSets, created as a user would create them; the ReplicaSet controller
// creates their pods through the API server. A pod's latency runs from the moment its create is
// acknowledged (durable) to the moment its binding is: the scheduler loop's queueing, snapshot,
// decision and commit. Throughput is the pod count over the time from the first acknowledged
// create to the last acknowledged binding.
package hollow
