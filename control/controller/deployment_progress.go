package controller

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/wk-project/wk/control/api"
)

// Deployment condition types and the reasons of the Progressing condition, as in Kubernetes.
const (
	condAvailable      = "Available"
	condProgressing    = "Progressing"
	condReplicaFailure = "ReplicaFailure"

	reasonNewRSCreated   = "NewReplicaSetCreated"
	reasonFoundNewRS     = "FoundNewReplicaSet"
	reasonRSUpdated      = "ReplicaSetUpdated"
	reasonNewRSAvailable = "NewReplicaSetAvailable"
	reasonTimedOut       = "ProgressDeadlineExceeded"
	reasonPaused         = "DeploymentPaused"
	reasonResumed        = "DeploymentResumed"
	reasonFailedRSCreate = "ReplicaSetCreateError"
)

func (s *state) cond(typ, status, reason, msg string) api.DeploymentCondition {
	t := api.NewTime(s.now)
	return api.DeploymentCondition{Type: typ, Status: status, Reason: reason, Message: msg, LastUpdateTime: t, LastTransitionTime: t}
}

func deploymentCondition(conds []api.DeploymentCondition, typ string) *api.DeploymentCondition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

// setDeploymentCondition sets c unless a condition of its type with the same status and reason
// is there; a condition whose status stays keeps its transition time.
func setDeploymentCondition(conds *[]api.DeploymentCondition, c api.DeploymentCondition) {
	cur := deploymentCondition(*conds, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil {
		if cur.Status == c.Status {
			c.LastTransitionTime = cur.LastTransitionTime
		}
		*cur = c
		return
	}
	*conds = append(*conds, c)
}

func removeDeploymentCondition(conds *[]api.DeploymentCondition, typ string) {
	out := (*conds)[:0]
	for _, c := range *conds {
		if c.Type != typ {
			out = append(out, c)
		}
	}
	*conds = out
}

func hasProgressDeadline(d *api.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != 1<<31-1
}

// pausedCondition marks the Progressing condition paused or resumed when spec.paused changed,
// unless the rollout has already timed out.
func (s *state) pausedCondition() {
	cur := deploymentCondition(s.conds, condProgressing)
	if !hasProgressDeadline(s.d) || cur != nil && cur.Reason == reasonTimedOut {
		return
	}
	paused := cur != nil && cur.Reason == reasonPaused
	switch {
	case s.d.Spec.Paused && !paused:
		setDeploymentCondition(&s.conds, s.cond(condProgressing, api.ConditionUnknown, reasonPaused, "Deployment is paused"))
	case !s.d.Spec.Paused && paused:
		setDeploymentCondition(&s.conds, s.cond(condProgressing, api.ConditionUnknown, reasonResumed, "Deployment is resumed"))
	}
}

// deploymentComplete reports whether every replica is updated and available.
func deploymentComplete(d *api.Deployment, st *api.DeploymentStatus) bool {
	n := replicasOf(d.Spec.Replicas)
	return st.UpdatedReplicas == n && st.Replicas == n && st.AvailableReplicas == n && st.ObservedGeneration >= d.Generation
}

// deploymentProgressing reports whether st shows progress over the Deployment's last status:
// more updated, ready or available pods, or fewer old ones.
func deploymentProgressing(d *api.Deployment, st *api.DeploymentStatus) bool {
	old := d.Status
	return st.UpdatedReplicas > old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas ||
		st.AvailableReplicas > old.AvailableReplicas
}

// deploymentTimedOut reports whether the rollout made no progress for progressDeadlineSeconds.
func deploymentTimedOut(d *api.Deployment, st *api.DeploymentStatus, now time.Time) bool {
	c := deploymentCondition(st.Conditions, condProgressing)
	if !hasProgressDeadline(d) || c == nil || c.Reason == reasonNewRSAvailable {
		return false
	}
	if c.Reason == reasonTimedOut {
		return true
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(now)
}

// progressCondition updates the Progressing condition of st as Kubernetes' syncRolloutStatus.
func (s *state) progressCondition(st *api.DeploymentStatus, newRS *api.ReplicaSet) {
	if !hasProgressDeadline(s.d) {
		removeDeploymentCondition(&st.Conditions, condProgressing)
		return
	}
	cur := deploymentCondition(st.Conditions, condProgressing)
	if st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == reasonNewRSAvailable {
		return // complete: nothing more to report
	}
	name := s.d.Name
	if newRS != nil {
		name = newRS.Name
	}
	switch {
	case deploymentComplete(s.d, st):
		setDeploymentCondition(&st.Conditions, s.cond(condProgressing, api.ConditionTrue, reasonNewRSAvailable, fmt.Sprintf("ReplicaSet %q has successfully progressed.", name)))
	case deploymentProgressing(s.d, st):
		c := s.cond(condProgressing, api.ConditionTrue, reasonRSUpdated, fmt.Sprintf("ReplicaSet %q is progressing.", name))
		if cur != nil && cur.Status == api.ConditionTrue {
			c.LastTransitionTime = cur.LastTransitionTime
		}
		removeDeploymentCondition(&st.Conditions, condProgressing)
		st.Conditions = append(st.Conditions, c)
	case deploymentTimedOut(s.d, st, s.now):
		setDeploymentCondition(&st.Conditions, s.cond(condProgressing, api.ConditionFalse, reasonTimedOut, fmt.Sprintf("ReplicaSet %q has timed out progressing.", name)))
	}
}

// replicaFailureCondition carries a ReplicaSet's failure to create pods up to the Deployment.
func (s *state) replicaFailureCondition(st *api.DeploymentStatus) {
	for _, rs := range s.rss {
		for _, c := range rs.Status.Conditions {
			if c.Type == condReplicaFailure && c.Status == api.ConditionTrue {
				setDeploymentCondition(&st.Conditions, s.cond(condReplicaFailure, api.ConditionTrue, c.Reason, c.Message))
				return
			}
		}
	}
	removeDeploymentCondition(&st.Conditions, condReplicaFailure)
}

// writeStatus computes the status, with the Progressing condition when progress is set, writes it
// when it changed, and schedules the recheck of a deadline or of pods becoming available.
func (dc *deploymentController) writeStatus(ctx context.Context, s *state, newRS *api.ReplicaSet, progress bool) error {
	st := s.calculateStatus(newRS)
	if progress {
		s.progressCondition(&st, newRS)
	}
	s.replicaFailureCondition(&st)
	dc.recheck(s, &st)
	if reflect.DeepEqual(st, s.d.Status) {
		return nil
	}
	was := deploymentCondition(s.d.Status.Conditions, condProgressing)
	if c := deploymentCondition(st.Conditions, condProgressing); c != nil && c.Reason == reasonTimedOut && (was == nil || was.Reason != reasonTimedOut) {
		dc.ev.warning(s.d, reasonTimedOut, "%s", c.Message)
	}
	cp := deepCopy(s.d)
	cp.Status = st
	out, err := dc.c.UpdateStatus(ctx, cp)
	if err != nil {
		return fmt.Errorf("update status of deployment %s: %w", s.d.Name, err)
	}
	dc.deploys.Observe(out)
	s.d = out.(*api.Deployment)
	return nil
}

// recheck queues the Deployment again when its progress deadline will pass or a pod will become
// available: nothing else would.
func (dc *deploymentController) recheck(s *state, st *api.DeploymentStatus) {
	key := keyOf(s.d)
	if wait := s.untilAvailable(); wait > 0 {
		dc.queue.AddAfter(key, wait+10*time.Millisecond)
	}
	c := deploymentCondition(st.Conditions, condProgressing)
	if !hasProgressDeadline(s.d) || c == nil || c.Reason == reasonNewRSAvailable || c.Reason == reasonTimedOut || deploymentComplete(s.d, st) {
		return
	}
	deadline := c.LastUpdateTime.Add(time.Duration(*s.d.Spec.ProgressDeadlineSeconds) * time.Second)
	dc.queue.AddAfter(key, deadline.Sub(s.now)+100*time.Millisecond)
}
