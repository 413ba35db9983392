// Package controller runs wk's control loops: the scheduler loop that binds pending pods, and the
// ReplicaSet, Deployment, DaemonSet, node lifecycle and garbage collection controllers, with the
// Events they record.
//
// Every loop is level-triggered, as in Kubernetes: informers keep a cache of each kind from one
// list and a resumable watch, their handlers only put keys on a work queue, and a worker's
// sync(ctx, key) re-reads the desired and the actual state from the cache, writes the difference
// through the API client and is safe to run again. A failed sync goes back on the queue with
// exponential back-off; a timed recheck (minReadySeconds, a progress deadline, a pod eviction) is
// an AddAfter.
//
// # The cache learns our own writes
//
// Kubernetes' controllers keep "expectations" so that a sync that runs again before the watch
// has delivered their creates does not create a second time. Here the cache itself takes the
// API server's answer to every write at once (Observe, ObserveDelete), keeping the newer of that
// and what the watch brings, and remembering deleted keys for a while so that a late answer does
// not bring a deleted object back. Every controller reads the same caches, so the Deployment
// controller sees the pods the ReplicaSet controller deleted a moment ago.
//
// # Availability is counted from pods
//
// A rolling update scales old ReplicaSets down only while replicas-maxUnavailable pods stay
// available. It counts available pods itself, from the pod cache, rather than from the
// ReplicaSets' status, which lags behind the pods; and it counts no more of a ReplicaSet's pods
// than the ReplicaSet asks for, since its surplus is about to be deleted and may be the available
// ones. So a template whose pods never get ready never takes the old pods down.
//
// Manager composes the loops; Run(ctx) runs them all until ctx ends.
package controller
