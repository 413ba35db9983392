package controller

import (
	"sort"
	"strconv"
	"time"

	"github.com/wk-project/wk/control/api"
)

// state is what one sync of a Deployment works from and keeps up to date as it writes: the
// Deployment, its ReplicaSets, their active pods and the conditions the status will carry.
type state struct {
	d     *api.Deployment
	rss   []*api.ReplicaSet
	pods  map[string][]*api.Pod // active pods by ReplicaSet UID
	conds []api.DeploymentCondition
	now   time.Time
}

func newState(d *api.Deployment, rss []*api.ReplicaSet, pods *Informer, now time.Time) *state {
	s := &state{d: d, rss: rss, pods: map[string][]*api.Pod{}, now: now}
	s.conds = append(s.conds, d.Status.Conditions...)
	for _, rs := range rss {
		for _, p := range ownedBy[*api.Pod](pods, rs) {
			if isPodActive(p) {
				s.pods[rs.UID] = append(s.pods[rs.UID], p)
			}
		}
	}
	return s
}

func (s *state) replicas() int32 { return replicasOf(s.d.Spec.Replicas) }

// put replaces a ReplicaSet with the version just written.
func (s *state) put(rs *api.ReplicaSet) {
	for i := range s.rss {
		if s.rss[i].UID == rs.UID {
			s.rss[i] = rs
			return
		}
	}
	s.rss = append(s.rss, rs)
}

func (s *state) drop(rs *api.ReplicaSet) {
	for i := range s.rss {
		if s.rss[i].UID == rs.UID {
			s.rss = append(s.rss[:i], s.rss[i+1:]...)
			return
		}
	}
}

// old returns every ReplicaSet but newRS, oldest revision first.
func (s *state) old(newRS *api.ReplicaSet) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range s.rss {
		if newRS == nil || rs.UID != newRS.UID {
			out = append(out, rs)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return olderRS(out[i], out[j]) })
	return out
}

func olderRS(a, b *api.ReplicaSet) bool {
	if ra, rb := revisionOf(a), revisionOf(b); ra != rb {
		return ra < rb
	}
	if !a.CreationTimestamp.Equal(b.CreationTimestamp.Time) {
		return a.CreationTimestamp.Before(b.CreationTimestamp.Time)
	}
	return a.Name < b.Name
}

// revisionOf reads a ReplicaSet's revision annotation; 0 when it has none.
func revisionOf(rs *api.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[annotationRevision], 10, 64)
	return n
}

// spec is the replica count a ReplicaSet asks for.
func spec(rs *api.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return replicasOf(rs.Spec.Replicas)
}

// totalSpec is the sum of the ReplicaSets' replica counts.
func (s *state) totalSpec() int32 {
	var n int32
	for _, rs := range s.rss {
		n += spec(rs)
	}
	return n
}

// available counts rs's available pods, but no more than rs asks for: surplus pods are about to
// be deleted, and may be the available ones.
func (s *state) available(rs *api.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	var n int32
	for _, p := range s.pods[rs.UID] {
		if isPodAvailable(p, s.d.Spec.MinReadySeconds, s.now) {
			n++
		}
	}
	return min(n, spec(rs))
}

// totalAvailable is the sum of available over every ReplicaSet.
func (s *state) totalAvailable() int32 {
	var n int32
	for _, rs := range s.rss {
		n += s.available(rs)
	}
	return n
}

// untilAvailable is the shortest wait until a ready pod becomes available; 0 for none.
func (s *state) untilAvailable() time.Duration {
	var wait time.Duration
	for _, pods := range s.pods {
		for _, p := range pods {
			if d := untilAvailable(p, s.d.Spec.MinReadySeconds, s.now); d > 0 && (wait == 0 || d < wait) {
				wait = d
			}
		}
	}
	return wait
}

// calculateStatus counts the pods of every ReplicaSet, those of newRS as updated, and sets the
// Available condition.
func (s *state) calculateStatus(newRS *api.ReplicaSet) api.DeploymentStatus {
	st := api.DeploymentStatus{ObservedGeneration: s.d.Generation, CollisionCount: s.d.Status.CollisionCount}
	for _, rs := range s.rss {
		for _, p := range s.pods[rs.UID] {
			st.Replicas++
			if newRS != nil && rs.UID == newRS.UID {
				st.UpdatedReplicas++
			}
			if isPodReady(p) {
				st.ReadyReplicas++
			}
			if isPodAvailable(p, s.d.Spec.MinReadySeconds, s.now) {
				st.AvailableReplicas++
			}
		}
	}
	st.UnavailableReplicas = max(s.replicas()-st.AvailableReplicas, 0)
	st.Conditions = append([]api.DeploymentCondition(nil), s.conds...)
	if st.AvailableReplicas >= s.replicas()-maxUnavailable(s.d) {
		setDeploymentCondition(&st.Conditions, s.cond(condAvailable, api.ConditionTrue, "MinimumReplicasAvailable", "Deployment has minimum availability."))
	} else {
		setDeploymentCondition(&st.Conditions, s.cond(condAvailable, api.ConditionFalse, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."))
	}
	return st
}
