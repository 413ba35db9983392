package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/wk-project/wk/control/api"
)

// deploymentController rolls each Deployment's template out through ReplicaSets named
// DEPLOYMENT-HASH: RollingUpdate within maxSurge and maxUnavailable, waiting for readiness, or
// Recreate; it keeps revisionHistoryLimit old ReplicaSets for rollback and reports progress
// against progressDeadlineSeconds.
type deploymentController struct {
	*loop
	c       Client
	pods    *Informer
	rss     *Informer
	deploys *Informer
	ev      eventSink
	now     func() time.Time
}

func newDeploymentController(m *Manager) *deploymentController {
	dc := &deploymentController{c: m.c, pods: m.pods, rss: m.rss, deploys: m.deploys, ev: m.events, now: m.cfg.Now}
	dc.loop = newLoop("deployment", m.log, dc.sync)
	m.deploys.AddHandler(func(old, cur api.Object) { dc.enqueue(either(old, cur)) })
	m.rss.AddHandler(dc.replicaSetChanged)
	m.pods.AddHandler(dc.podChanged)
	return dc
}

// replicaSetChanged queues the ReplicaSet's Deployment, or for an orphan every Deployment that
// may adopt it.
func (dc *deploymentController) replicaSetChanged(old, cur api.Object) {
	for _, o := range []api.Object{old, cur} {
		if o == nil {
			continue
		}
		rs := o.(*api.ReplicaSet)
		if ref := controllerOf(&rs.ObjectMeta); ref != nil {
			if ref.Kind == "Deployment" {
				dc.queue.Add(makeKey(rs.Namespace, ref.Name))
			}
			continue
		}
		if o == cur {
			for _, d := range dc.deploys.List(rs.Namespace) {
				if sel, err := api.LabelSelectorAsSelector(d.(*api.Deployment).Spec.Selector); err == nil && sel.Matches(rs.Labels) {
					dc.enqueue(d)
				}
			}
		}
	}
}

// podChanged queues the Deployment of the pod's ReplicaSet: availability is counted from pods.
func (dc *deploymentController) podChanged(old, cur api.Object) {
	for _, o := range []api.Object{old, cur} {
		if o == nil {
			continue
		}
		p := o.(*api.Pod)
		ref := controllerOf(&p.ObjectMeta)
		if ref == nil || ref.Kind != "ReplicaSet" {
			continue
		}
		if rs, ok := dc.rss.Get(p.Namespace, ref.Name).(*api.ReplicaSet); ok {
			if dref := controllerOf(&rs.ObjectMeta); dref != nil && dref.Kind == "Deployment" {
				dc.queue.Add(makeKey(rs.Namespace, dref.Name))
			}
		}
	}
}

func (dc *deploymentController) sync(ctx context.Context, key string) error {
	obj := dc.deploys.GetKey(key)
	if obj == nil {
		return nil
	}
	d := obj.(*api.Deployment)
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil // validation keeps such selectors out
	}
	rss, err := dc.claimReplicaSets(ctx, d, sel)
	if err != nil {
		return err
	}
	s := newState(d, rss, dc.pods, dc.now())
	switch {
	case d.DeletionTimestamp != nil:
		return dc.writeStatus(ctx, s, findNewReplicaSet(d, rss), false)
	case d.Spec.Paused:
		s.pausedCondition()
		return dc.syncScale(ctx, s)
	}
	s.pausedCondition()
	if isScalingEvent(s) {
		return dc.syncScale(ctx, s)
	}
	if d.Spec.Strategy.Type == "Recreate" {
		return dc.rolloutRecreate(ctx, s)
	}
	return dc.rolloutRolling(ctx, s)
}

// claimReplicaSets returns the ReplicaSets d controls, adopting orphans its selector matches.
func (dc *deploymentController) claimReplicaSets(ctx context.Context, d *api.Deployment, sel api.Selector) ([]*api.ReplicaSet, error) {
	rss := ownedBy[*api.ReplicaSet](dc.rss, d)
	if d.DeletionTimestamp != nil {
		return rss, nil
	}
	for _, o := range dc.rss.ByIndex(indexOwner, orphanOf(d.Namespace)) {
		rs := o.(*api.ReplicaSet)
		if !sel.Matches(rs.Labels) {
			continue
		}
		cp := deepCopy(rs)
		cp.OwnerReferences = append(cp.OwnerReferences, ownerRefTo(d))
		out, err := dc.c.Update(ctx, cp)
		if api.IsNotFound(err) || api.IsConflict(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("adopt replicaset %s: %w", rs.Name, err)
		}
		dc.rss.Observe(out)
		rss = append(rss, out.(*api.ReplicaSet))
	}
	return rss, nil
}
