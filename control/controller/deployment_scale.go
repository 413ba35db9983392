package controller

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// syncScale only resizes, for a paused Deployment or when the replica count changed: no new
// ReplicaSet is made and no rollout step is taken.
func (dc *deploymentController) syncScale(ctx context.Context, s *state) error {
	newRS, err := dc.newReplicaSet(ctx, s, false)
	if err != nil {
		return err
	}
	if err := dc.scale(ctx, s, newRS); err != nil {
		return err
	}
	if s.d.Spec.Paused {
		if err := dc.cleanup(ctx, s, newRS); err != nil {
			return err
		}
	}
	return dc.writeStatus(ctx, s, newRS, false)
}

// isScalingEvent reports whether the replica count changed since the active ReplicaSets were
// last sized for it.
func isScalingEvent(s *state) bool {
	for _, rs := range s.rss {
		if spec(rs) == 0 {
			continue
		}
		if v, ok := rs.Annotations[annotationDesiredReplicas]; ok {
			if n, err := strconv.Atoi(v); err == nil && int32(n) != s.replicas() {
				return true
			}
		}
	}
	return false
}

// scale sizes the ReplicaSets for the replica count: the only active one (or the newest) takes
// it all; during a rolling update the change is spread over the active ones in proportion.
func (dc *deploymentController) scale(ctx context.Context, s *state, newRS *api.ReplicaSet) error {
	var active []*api.ReplicaSet
	for _, rs := range s.rss {
		if spec(rs) > 0 {
			active = append(active, rs)
		}
	}
	if len(active) <= 1 {
		target := newRS
		if len(active) == 1 {
			target = active[0]
		} else if target == nil && len(s.rss) > 0 {
			all := s.old(nil)
			target = all[len(all)-1]
		}
		if target == nil {
			return nil
		}
		_, err := dc.scaleTo(ctx, s, target, s.replicas())
		return err
	}
	if newRS != nil && spec(newRS) == s.replicas() && s.available(newRS) >= s.replicas() {
		for _, rs := range s.old(newRS) {
			if _, err := dc.scaleTo(ctx, s, rs, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if d := s.d; d.Spec.Strategy.Type != "Recreate" {
		return dc.scaleProportionally(ctx, s, active)
	}
	return nil
}

// scaleProportionally adds or removes the difference to replicas+maxSurge across the active
// ReplicaSets in proportion to their size, the rest going to the largest.
func (dc *deploymentController) scaleProportionally(ctx context.Context, s *state, active []*api.ReplicaSet) error {
	allowed := s.replicas()
	if allowed > 0 {
		allowed += maxSurge(s.d)
	}
	toAdd := allowed - s.totalSpec()
	if toAdd == 0 {
		return nil
	}
	sorted := append([]*api.ReplicaSet(nil), active...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if spec(sorted[i]) != spec(sorted[j]) {
			return spec(sorted[i]) > spec(sorted[j])
		}
		if toAdd > 0 {
			return olderRS(sorted[j], sorted[i]) // growing: the newer of equals first
		}
		return olderRS(sorted[i], sorted[j])
	})
	sizes := make([]int32, len(sorted))
	var added int32
	for i, rs := range sorted {
		p := proportion(rs, s, toAdd, added, allowed)
		sizes[i] = spec(rs) + p
		added += p
	}
	sizes[0] = max(sizes[0]+toAdd-added, 0)
	for i, rs := range sorted {
		if _, err := dc.scaleTo(ctx, s, rs, sizes[i]); err != nil {
			return err
		}
	}
	return nil
}

// proportion is rs's share of toAdd, by the size it had relative to the max-replicas it was
// sized for, bounded by what is left to add.
func proportion(rs *api.ReplicaSet, s *state, toAdd, added, allowed int32) int32 {
	if toAdd == 0 {
		return 0
	}
	var frac int32
	if s.replicas() == 0 {
		frac = -spec(rs)
	} else {
		annotated, err := strconv.Atoi(rs.Annotations[annotationMaxReplicas])
		if err != nil || annotated == 0 {
			annotated = int(s.d.Status.Replicas)
		}
		if annotated > 0 {
			frac = int32(math.Round(float64(spec(rs))*float64(allowed)/float64(annotated))) - spec(rs)
		}
	}
	left := toAdd - added
	if toAdd > 0 {
		return max(min(frac, left), 0)
	}
	return min(max(frac, left), 0)
}

// scaleTo sets rs's replica count (and the desired and max replica annotations) and reports
// whether the count changed.
func (dc *deploymentController) scaleTo(ctx context.Context, s *state, rs *api.ReplicaSet, n int32) (bool, error) {
	if rs == nil {
		return false, nil
	}
	desired := strconv.Itoa(int(s.replicas()))
	maxReplicas := strconv.Itoa(int(s.replicas() + maxSurge(s.d)))
	from := spec(rs)
	if from == n && rs.Annotations[annotationDesiredReplicas] == desired && rs.Annotations[annotationMaxReplicas] == maxReplicas {
		return false, nil
	}
	cp := deepCopy(rs)
	cp.Spec.Replicas = &n
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[annotationDesiredReplicas] = desired
	cp.Annotations[annotationMaxReplicas] = maxReplicas
	out, err := dc.c.Update(ctx, cp)
	if err != nil {
		return false, fmt.Errorf("scale replicaset %s to %d: %w", rs.Name, n, err)
	}
	dc.rss.Observe(out)
	s.put(out.(*api.ReplicaSet))
	switch {
	case n > from:
		dc.ev.normal(s.d, "ScalingReplicaSet", "Scaled up replica set %s from %d to %d", rs.Name, from, n)
	case n < from:
		dc.ev.normal(s.d, "ScalingReplicaSet", "Scaled down replica set %s from %d to %d", rs.Name, from, n)
	}
	return n != from, nil
}
