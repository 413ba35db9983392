// Package scheduler decides which node each pending pod should run on. It is a pure function of
// its inputs, in the manner of Nomad's scheduler and etcd's raft: Schedule reads a Snapshot and a
// list of pods and returns one Decision per pod. It does no I/O, reads no clock, logs nothing and
// uses no randomness, so equal inputs give equal outputs. Committing the bindings (in batches, with
// compare-and-swap) is the caller's job.
//
// # Filters and scores
//
// A node is feasible for a pod when, in this order, it is Ready, not cordoned, every NoSchedule and
// NoExecute taint is tolerated, it matches spec.nodeSelector and the required node affinity, it
// offers the pod's runtime (runtimeClassName "runc" needs the label wk.io/runtime-runc=true), the
// pod's host ports are free, and the pod's cpu, memory and pod-count requests fit its allocatable.
// The first failing filter gives the node's reason (the resource filter gives one reason per short
// resource), and an unschedulable pod's Decision.Reason counts them the way kube-scheduler does:
// "0/5 nodes are available: 3 Insufficient memory, 2 node(s) were unschedulable.".
//
// Feasible nodes are ranked by a weighted sum of kube-scheduler's default scores: least allocated
// cpu and memory (weight 1), spread of the pods of one controller (the controller ownerReference's
// UID) across nodes and topology.kubernetes.io/zone values (weight 2), preferred node affinity
// (weight 2) and untolerated PreferNoSchedule taints (weight 3). Ties go to the node met first in
// the scan described below.
//
// # Speed
//
// The scheduler must place tens of thousands of pods per second on 5,000 nodes, so:
//
//   - NewSnapshot turns each node into flat, precomputed facts (allocatable as int64, the taints
//     that matter, the zone as a small integer) and keeps what placements change in one slice
//     indexed by node.
//   - The static filters (readiness, cordon, taints, selector, affinity, runtime) depend only on a
//     pod's scheduling signature: its nodeSelector, node affinity, tolerations and runtime. Pods of
//     one template share a signature, so its statically feasible nodes are found once per
//     snapshot, by a hash and an equality check that allocate nothing.
//   - Like kube-scheduler's percentageOfNodesToScore, a pod is scored on a sample of the feasible
//     nodes: the scan ends once it has found max(100, 5% of all nodes) nodes that fit. It starts
//     where the previous pod of the same controller stopped (of the same signature, for a pod
//     without one), so a controller's successive replicas are scored on successive runs of nodes
//     and cover the cluster before they meet again, and spreading works as if every node were
//     scored. Nodes are ordered zone by zone in turn (like kube-scheduler's node tree), so every
//     run spans the zones.
//   - Placing a pod updates the snapshot in place; the hot path allocates nothing.
//
// Only an unschedulable pod pays for a pass over every node, to explain why; the pods like it
// that follow before anything else is placed get the same answer without one.
package scheduler
