package scheduler

import (
	"math"
	"math/bits"
)

// Scores run from 0 to maxScore (kube-scheduler's 0..100, with more precision) and are weighted
// as kube-scheduler weighs its default plugins.
const (
	maxScore       = 1_000_000
	weightLeast    = 1 // NodeResourcesFit, LeastAllocated
	weightSpread   = 2 // spreading one owner's replicas (PodTopologySpread's weight)
	weightAffinity = 2 // NodeAffinity, preferred terms
	weightTaints   = 3 // TaintToleration, PreferNoSchedule
)

// best scores the candidates and returns the node with the highest total; of equal totals, the
// first candidate wins, which is the first met in the rotating scan.
func (s *Snapshot) best(sig *signature, w []candidate, r *podRequest, own *spread) int32 {
	var sp spreadRange
	sp.node.lo, sp.zone.lo = math.MaxInt32, math.MaxInt32
	var maxPref, maxAvoid int64
	zoned := false
	for j := range w {
		c := &w[j]
		st := &s.state[c.node]
		c.la = leastAllocated(st, r)
		if own != nil {
			c.onNode = own.byNode.get(c.node)
			sp.node.widen(c.onNode)
			c.inZone = c.onNode // a node without a zone is a zone of its own
			if st.zone >= 0 {
				c.inZone = own.byZone.get(st.zone)
				zoned = true
			}
			sp.zone.widen(c.inZone)
		}
		if sig.pref != nil {
			maxPref = max(maxPref, sig.pref[c.at])
		}
		if sig.avoid != nil {
			maxAvoid = max(maxAvoid, sig.avoid[c.at])
		}
	}
	spreads := sp.node.lo < sp.node.hi || sp.zone.lo < sp.zone.hi
	bestNode, bestScore := int32(-1), int64(-1)
	for j := range w {
		c := &w[j]
		// Everything is counted three times over, so that the spread's thirds stay whole.
		total := 3 * weightLeast * c.la
		if spreads {
			total += weightSpread * sp.score(c, zoned)
		}
		if maxPref > 0 {
			total += 3 * weightAffinity * (maxScore * sig.pref[c.at] / maxPref)
		}
		if maxAvoid > 0 {
			total += 3 * weightTaints * (maxScore - maxScore*sig.avoid[c.at]/maxAvoid)
		}
		if total > bestScore {
			bestNode, bestScore = c.node, total
		}
	}
	return bestNode
}

// leastAllocated is kube-scheduler's LeastAllocated score: the mean over cpu and memory of the
// fraction left free once the pod is placed, counting unset requests as the defaults.
func leastAllocated(st *nodeState, r *podRequest) int64 {
	return (freeFraction(st.allocCPU, st.usedCPU+r.nzCPU) + freeFraction(st.allocMem, st.usedMem+r.nzMem)) / 2
}

func freeFraction(alloc, used int64) int64 {
	if alloc <= 0 || used >= alloc {
		return 0
	}
	if used < 0 {
		used = 0
	}
	hi, lo := bits.Mul64(uint64(alloc-used), maxScore)
	q, _ := bits.Div64(hi, lo, uint64(alloc)) // alloc-used <= alloc, so the quotient fits
	return int64(q)
}

// span is the range of an owner's pod counts over the candidates (per node or per zone).
type span struct{ lo, hi int32 }

func (s *span) widen(v int32) { s.lo, s.hi = min(s.lo, v), max(s.hi, v) }

// overRange maps a count to maxScore at the low end of the span and 0 at the high end.
func (s *span) overRange(v int32) int64 {
	if s.hi <= s.lo {
		return maxScore
	}
	return maxScore * int64(s.hi-v) / int64(s.hi-s.lo)
}

// overMax maps a count to maxScore at 0 and 0 at the high end of the span.
func (s *span) overMax(v int32) int64 {
	if s.hi <= 0 {
		return maxScore
	}
	return maxScore * int64(s.hi-v) / int64(s.hi)
}

// spreadRange is what the spread score of one pod needs.
type spreadRange struct{ node, zone span }

// score is the spread score, times three: fewer of the owner's pods on the node scores higher,
// and, when any candidate has a zone, two thirds of it come from the zone, as in kube-scheduler's
// old SelectorSpread. A node's count is scaled over the range of counts among the candidates, so one
// replica fewer on a node counts in full however many there are; a zone's is scaled over the
// largest zone count, as SelectorSpread does, so zones are balanced in proportion: a zone one
// replica behind out of a thousand does not outweigh a node that has none yet.
func (sr *spreadRange) score(c *candidate, zoned bool) int64 {
	node := sr.node.overRange(c.onNode)
	if !zoned {
		return 3 * node
	}
	return node + 2*sr.zone.overMax(c.inZone)
}
