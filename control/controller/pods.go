package controller

import (
	"time"

	"github.com/wk-project/wk/control/api"
)

// podCondition returns the pod's condition of type t, or nil.
func podCondition(p *api.Pod, t string) *api.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// setPodCondition sets a condition, keeping its transition time when the status stays.
func setPodCondition(p *api.Pod, c api.PodCondition) {
	if old := podCondition(p, c.Type); old != nil {
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return
	}
	p.Status.Conditions = append(p.Status.Conditions, c)
}

func isPodReady(p *api.Pod) bool {
	c := podCondition(p, api.PodReady)
	return c != nil && c.Status == api.ConditionTrue
}

// isPodAvailable reports whether p has been ready for at least minReady seconds.
func isPodAvailable(p *api.Pod, minReady int32, now time.Time) bool {
	c := podCondition(p, api.PodReady)
	if c == nil || c.Status != api.ConditionTrue {
		return false
	}
	return minReady == 0 || !c.LastTransitionTime.IsZero() && !c.LastTransitionTime.Add(time.Duration(minReady)*time.Second).After(now)
}

// untilAvailable is how long a ready pod has to wait to count as available; 0 when it already does
// or is not ready.
func untilAvailable(p *api.Pod, minReady int32, now time.Time) time.Duration {
	c := podCondition(p, api.PodReady)
	if minReady == 0 || c == nil || c.Status != api.ConditionTrue {
		return 0
	}
	return max(c.LastTransitionTime.Add(time.Duration(minReady)*time.Second).Sub(now), 0)
}

// isPodActive reports whether p is, or will be, running: not finished and not being deleted.
func isPodActive(p *api.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed
}

// podRestarts is the highest restart count of p's containers.
func podRestarts(p *api.Pod) int32 {
	var n int32
	for _, cs := range p.Status.ContainerStatuses {
		n = max(n, cs.RestartCount)
	}
	return n
}

// podPhaseRank orders phases by how far along a pod is: pending, unknown, running.
func podPhaseRank(phase string) int {
	switch phase {
	case api.PodPending, "":
		return 0
	case api.PodUnknown:
		return 1
	}
	return 2
}

// deleteFirst reports whether a should be deleted before b when a controller has too many pods,
// in Kubernetes' order: unscheduled before scheduled, pending before running, not ready before
// ready, ready for less time before longer, more restarts before fewer, newer before older.
func deleteFirst(a, b *api.Pod) bool {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if ra, rb := podPhaseRank(a.Status.Phase), podPhaseRank(b.Status.Phase); ra != rb {
		return ra < rb
	}
	if isPodReady(a) != isPodReady(b) {
		return !isPodReady(a)
	}
	if isPodReady(a) {
		ta, tb := podCondition(a, api.PodReady).LastTransitionTime, podCondition(b, api.PodReady).LastTransitionTime
		if !ta.Equal(tb.Time) {
			return ta.After(tb.Time)
		}
	}
	if ra, rb := podRestarts(a), podRestarts(b); ra != rb {
		return ra > rb
	}
	if !a.CreationTimestamp.Equal(b.CreationTimestamp.Time) {
		return a.CreationTimestamp.After(b.CreationTimestamp.Time)
	}
	return a.Name > b.Name
}

// isPending reports whether p waits for the scheduler.
func isPending(p *api.Pod) bool {
	return p.Spec.NodeName == "" && isPodActive(p) &&
		(p.Spec.SchedulerName == "" || p.Spec.SchedulerName == defaultSchedulerName)
}

const defaultSchedulerName = "default-scheduler"
