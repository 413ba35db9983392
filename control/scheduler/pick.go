package scheduler

// Sampling, after kube-scheduler's percentageOfNodesToScore.
const (
	minNodesToScore          = 100
	defaultPercentageToScore = 5
)

// candidate is a node that fits the current pod, with what its score is made of.
type candidate struct {
	node   int32 // index into Snapshot.nodes
	at     int32 // index into signature.nodes
	la     int64 // least-allocated score
	onNode int32 // the owner's pods on the node
	inZone int32 // the owner's pods in the node's zone (on the node, when it has no zone)
}

// nodesToScore is how many fitting nodes a pod is scored on.
func (s *Snapshot) nodesToScore() int {
	n := len(s.nodes)
	if n <= minNodesToScore {
		return n
	}
	pct := s.PercentageOfNodesToScore
	if pct <= 0 {
		pct = defaultPercentageToScore
	}
	return min(n, max(minNodesToScore, n*min(pct, 100)/100))
}

// pick returns the best node for a pod, or -1 when none fits. It scans the signature's
// statically feasible nodes, keeps those with room and free host ports until it has nodesToScore
// of them, and scores those. The scan starts where the previous pod of the same owner stopped (or,
// for a pod without one, of the same signature), so that an owner's successive replicas are
// scored on successive runs of nodes and cover the cluster before they meet again.
func (s *Snapshot) pick(sig *signature, r *podRequest, own *spread) int32 {
	n := len(sig.nodes)
	if n == 0 {
		return -1
	}
	start := sig.next
	if own != nil {
		if own.sig != sig {
			own.sig, own.next = sig, sig.next
		}
		start = own.next
	}
	limit := s.nodesToScore()
	w := s.window[:0]
	k, seen := start, 0
	for seen < n && len(w) < limit {
		i := sig.nodes[k]
		if shortOf(&s.state[i].free, r) == 0 && (len(s.want) == 0 || portsFree(s.ports[i], s.want)) {
			w = append(w, candidate{node: i, at: int32(k)})
		}
		seen++
		if k++; k == n {
			k = 0
		}
	}
	sig.next = (sig.next + seen) % n
	if own != nil {
		own.next = k
	}
	s.window = w
	if len(w) == 0 {
		return -1
	}
	return s.best(sig, w, r, own)
}
