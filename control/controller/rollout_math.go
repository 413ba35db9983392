package controller

import "github.com/wk-project/wk/control/api"

// fenceposts resolves a rolling update's maxSurge (a percentage rounds up) and maxUnavailable
// (rounds down) against the replica count; when both come to zero, one pod may be unavailable.
func fenceposts(d *api.Deployment) (surge, unavailable int32) {
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type == "Recreate" || ru == nil {
		return 0, 0
	}
	n := int(replicasOf(d.Spec.Replicas))
	s := resolve(ru.MaxSurge, n, true, "25%")
	u := resolve(ru.MaxUnavailable, n, false, "25%")
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u)
}

func resolve(v *api.IntOrString, total int, roundUp bool, def string) int {
	x := api.FromString(def)
	if v != nil {
		x = *v
	}
	n, err := x.ScaledValue(total, roundUp)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// maxSurge is how many pods a rolling update may run above the replica count.
func maxSurge(d *api.Deployment) int32 {
	s, _ := fenceposts(d)
	return s
}

// maxUnavailable is how many of the replicas may be unavailable during a rolling update, never
// more than the replica count.
func maxUnavailable(d *api.Deployment) int32 {
	n := replicasOf(d.Spec.Replicas)
	if d.Spec.Strategy.Type == "Recreate" || n == 0 {
		return 0
	}
	_, u := fenceposts(d)
	return min(u, n)
}

// newRSReplicas is the size a rolling update grows the new ReplicaSet to: by what maxSurge leaves
// room for, up to the replica count.
func newRSReplicas(want, surge, total, cur int32) int32 {
	maxTotal := want + surge
	if total >= maxTotal {
		return cur
	}
	return cur + min(maxTotal-total, want-cur)
}

// oldScaleDownRoom is how many old pods a rolling update may take away now: the pods above the
// minimum available, less the new ones that are not available yet.
func oldScaleDownRoom(total, want, maxUnavailable, newSpec, newAvailable int32) int32 {
	minAvailable := want - maxUnavailable
	return total - minAvailable - (newSpec - newAvailable)
}
