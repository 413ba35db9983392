package controller

import (
	"context"

	"github.com/wk-project/wk/control/api"
)

// rolloutRolling grows the new ReplicaSet within maxSurge and shrinks the old ones within
// maxUnavailable, counting only available pods, so a template that never gets ready never takes
// the old pods down.
func (dc *deploymentController) rolloutRolling(ctx context.Context, s *state) error {
	newRS, err := dc.newReplicaSet(ctx, s, true)
	if err != nil {
		return err
	}
	scaled, err := dc.reconcileNewRS(ctx, s, newRS)
	if err != nil || scaled {
		return firstErr(err, dc.writeStatus(ctx, s, newRS, true))
	}
	scaled, err = dc.reconcileOldRSs(ctx, s, newRS)
	if err != nil || scaled {
		return firstErr(err, dc.writeStatus(ctx, s, newRS, true))
	}
	if st := s.calculateStatus(newRS); deploymentComplete(s.d, &st) {
		if err := dc.cleanup(ctx, s, newRS); err != nil {
			return err
		}
	}
	return dc.writeStatus(ctx, s, newRS, true)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (dc *deploymentController) reconcileNewRS(ctx context.Context, s *state, newRS *api.ReplicaSet) (bool, error) {
	want, cur := s.replicas(), spec(newRS)
	switch {
	case cur == want:
		return false, nil
	case cur > want:
		return dc.scaleTo(ctx, s, newRS, want)
	}
	return dc.scaleTo(ctx, s, newRS, newRSReplicas(want, maxSurge(s.d), s.totalSpec(), cur))
}

func (dc *deploymentController) reconcileOldRSs(ctx context.Context, s *state, newRS *api.ReplicaSet) (bool, error) {
	var oldTotal int32
	for _, rs := range s.old(newRS) {
		oldTotal += spec(rs)
	}
	if oldTotal == 0 {
		return false, nil
	}
	room := oldScaleDownRoom(s.totalSpec(), s.replicas(), maxUnavailable(s.d), spec(newRS), s.available(newRS))
	if room <= 0 {
		return false, nil
	}
	cleaned, err := dc.cleanupUnhealthy(ctx, s, newRS, room)
	if err != nil {
		return cleaned > 0, err
	}
	scaled, err := dc.scaleDownOld(ctx, s, newRS)
	return cleaned+scaled > 0, err
}

// cleanupUnhealthy first takes away old pods that are not available, up to room.
func (dc *deploymentController) cleanupUnhealthy(ctx context.Context, s *state, newRS *api.ReplicaSet, room int32) (int32, error) {
	var done int32
	for _, rs := range s.old(newRS) {
		if done >= room {
			break
		}
		n := spec(rs)
		unhealthy := n - s.available(rs)
		if n == 0 || unhealthy == 0 {
			continue
		}
		down := min(room-done, unhealthy)
		if _, err := dc.scaleTo(ctx, s, rs, n-down); err != nil {
			return done, err
		}
		done += down
	}
	return done, nil
}

// scaleDownOld takes away old pods, oldest ReplicaSet first, as long as more than
// replicas-maxUnavailable pods stay available.
func (dc *deploymentController) scaleDownOld(ctx context.Context, s *state, newRS *api.ReplicaSet) (int32, error) {
	minAvailable := s.replicas() - maxUnavailable(s.d)
	excess := s.totalAvailable() - minAvailable
	var done int32
	for _, rs := range s.old(newRS) {
		if done >= excess {
			break
		}
		n := spec(rs)
		if n == 0 {
			continue
		}
		down := min(n, excess-done)
		if _, err := dc.scaleTo(ctx, s, rs, n-down); err != nil {
			return done, err
		}
		done += down
	}
	return done, nil
}

// rolloutRecreate scales every old ReplicaSet to zero, waits until their pods are gone, then
// brings up the new one.
func (dc *deploymentController) rolloutRecreate(ctx context.Context, s *state) error {
	newRS, err := dc.newReplicaSet(ctx, s, false)
	if err != nil {
		return err
	}
	scaled := false
	for _, rs := range s.old(newRS) {
		ok, err := dc.scaleTo(ctx, s, rs, 0)
		if err != nil {
			return err
		}
		scaled = scaled || ok
	}
	if scaled || dc.oldPodsRunning(s, newRS) {
		return dc.writeStatus(ctx, s, newRS, true)
	}
	if newRS == nil {
		if newRS, err = dc.newReplicaSet(ctx, s, true); err != nil {
			return err
		}
	}
	if _, err := dc.scaleTo(ctx, s, newRS, s.replicas()); err != nil {
		return err
	}
	if st := s.calculateStatus(newRS); deploymentComplete(s.d, &st) {
		if err := dc.cleanup(ctx, s, newRS); err != nil {
			return err
		}
	}
	return dc.writeStatus(ctx, s, newRS, true)
}

func (dc *deploymentController) oldPodsRunning(s *state, newRS *api.ReplicaSet) bool {
	for _, rs := range s.old(newRS) {
		if len(s.pods[rs.UID]) > 0 {
			return true
		}
	}
	return false
}
