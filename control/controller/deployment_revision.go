package controller

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// findNewReplicaSet returns the oldest ReplicaSet whose template is the Deployment's, or nil.
func findNewReplicaSet(d *api.Deployment, rss []*api.ReplicaSet) *api.ReplicaSet {
	sorted := append([]*api.ReplicaSet(nil), rss...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.CreationTimestamp.Equal(b.CreationTimestamp.Time) {
			return a.CreationTimestamp.Before(b.CreationTimestamp.Time)
		}
		return a.Name < b.Name
	})
	for _, rs := range sorted {
		if sameTemplate(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// newReplicaSet finds the ReplicaSet of the Deployment's template, creating it when create is
// set, and brings the revision annotations of both up to date: the new ReplicaSet's revision is
// one above every old one's, so a rollback to an old template makes a new revision.
func (dc *deploymentController) newReplicaSet(ctx context.Context, s *state, create bool) (*api.ReplicaSet, error) {
	existing := findNewReplicaSet(s.d, s.rss)
	var maxOld int64
	for _, rs := range s.old(existing) {
		maxOld = max(maxOld, revisionOf(rs))
	}
	rev := maxOld + 1
	if existing == nil {
		if !create {
			return nil, nil
		}
		return dc.createNewRS(ctx, s, rev)
	}
	rs, err := dc.syncRevision(ctx, s, existing, rev)
	if err != nil {
		return nil, err
	}
	if err := dc.setDeploymentRevision(ctx, s, rs.Annotations[annotationRevision]); err != nil {
		return nil, err
	}
	if hasProgressDeadline(s.d) && deploymentCondition(s.conds, condProgressing) == nil {
		setDeploymentCondition(&s.conds, s.cond(condProgressing, api.ConditionTrue, reasonFoundNewRS, fmt.Sprintf("Found new replica set %q", rs.Name)))
	}
	return rs, nil
}

// syncRevision gives the new ReplicaSet revision rev when it has a lower one (remembering the
// old in the revision history), and the Deployment's minReadySeconds and change cause.
func (dc *deploymentController) syncRevision(ctx context.Context, s *state, rs *api.ReplicaSet, rev int64) (*api.ReplicaSet, error) {
	old := revisionOf(rs)
	cause, hasCause := s.d.Annotations[annotationChangeCause]
	if old >= rev && rs.Spec.MinReadySeconds == s.d.Spec.MinReadySeconds && (!hasCause || rs.Annotations[annotationChangeCause] == cause) {
		return rs, nil
	}
	cp := deepCopy(rs)
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	if old < rev {
		cp.Annotations[annotationRevision] = strconv.FormatInt(rev, 10)
		if old > 0 {
			h := cp.Annotations[annotationRevisionHistory]
			if h != "" {
				h += ","
			}
			cp.Annotations[annotationRevisionHistory] = h + strconv.FormatInt(old, 10)
		}
	}
	if hasCause {
		cp.Annotations[annotationChangeCause] = cause
	}
	cp.Spec.MinReadySeconds = s.d.Spec.MinReadySeconds
	out, err := dc.c.Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("update revision of replicaset %s: %w", rs.Name, err)
	}
	dc.rss.Observe(out)
	s.put(out.(*api.ReplicaSet))
	return out.(*api.ReplicaSet), nil
}

// setDeploymentRevision writes the revision annotation of the Deployment.
func (dc *deploymentController) setDeploymentRevision(ctx context.Context, s *state, rev string) error {
	if rev == "" || s.d.Annotations[annotationRevision] == rev {
		return nil
	}
	cp := deepCopy(s.d)
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[annotationRevision] = rev
	out, err := dc.c.Update(ctx, cp)
	if err != nil {
		return fmt.Errorf("update revision of deployment %s: %w", s.d.Name, err)
	}
	dc.deploys.Observe(out)
	s.d = out.(*api.Deployment)
	return nil
}

// createNewRS creates the ReplicaSet DEPLOYMENT-HASH for the Deployment's template.
func (dc *deploymentController) createNewRS(ctx context.Context, s *state, rev int64) (*api.ReplicaSet, error) {
	d := s.d
	rs := newReplicaSetFor(d, rev)
	n := s.replicas()
	if d.Spec.Strategy.Type != "Recreate" {
		n = newRSReplicas(s.replicas(), maxSurge(d), s.totalSpec(), 0)
	}
	rs.Spec.Replicas = &n
	out, err := dc.c.Create(ctx, rs)
	if api.IsAlreadyExists(err) {
		return dc.collided(ctx, s, rs)
	}
	if err != nil {
		setDeploymentCondition(&s.conds, s.cond(condReplicaFailure, api.ConditionTrue, reasonFailedRSCreate, err.Error()))
		dc.ev.warning(d, reasonFailedRSCreate, "Failed to create new replica set %q: %v", rs.Name, err)
		return nil, fmt.Errorf("create replicaset %s: %w", rs.Name, err)
	}
	dc.rss.Observe(out)
	created := out.(*api.ReplicaSet)
	s.put(created)
	if n > 0 {
		dc.ev.normal(d, "ScalingReplicaSet", "Scaled up replica set %s from 0 to %d", created.Name, n)
	}
	if hasProgressDeadline(d) {
		setDeploymentCondition(&s.conds, s.cond(condProgressing, api.ConditionTrue, reasonNewRSCreated, fmt.Sprintf("Created new replica set %q", created.Name)))
	}
	return created, dc.setDeploymentRevision(ctx, s, created.Annotations[annotationRevision])
}

// newReplicaSetFor makes the ReplicaSet of d's template: its labels and selector carry the
// template's hash.
func newReplicaSetFor(d *api.Deployment, rev int64) *api.ReplicaSet {
	hash := templateHash(&d.Spec.Template, d.Status.CollisionCount)
	tmpl := deepCopyTemplate(&d.Spec.Template)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[labelPodTemplateHash] = hash
	sel := &api.LabelSelector{MatchLabels: copyMap(d.Spec.Selector.MatchLabels)}
	sel.MatchExpressions = append(sel.MatchExpressions, d.Spec.Selector.MatchExpressions...)
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[labelPodTemplateHash] = hash
	ann := map[string]string{
		annotationRevision:        strconv.FormatInt(rev, 10),
		annotationDesiredReplicas: strconv.Itoa(int(replicasOf(d.Spec.Replicas))),
		annotationMaxReplicas:     strconv.Itoa(int(replicasOf(d.Spec.Replicas) + maxSurge(d))),
	}
	if cause, ok := d.Annotations[annotationChangeCause]; ok {
		ann[annotationChangeCause] = cause
	}
	return &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{
			Name:            d.Name + "-" + hash,
			Namespace:       d.Namespace,
			Labels:          copyMap(tmpl.Labels),
			Annotations:     ann,
			OwnerReferences: []api.OwnerReference{ownerRefTo(d)},
		},
		Spec: api.ReplicaSetSpec{MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tmpl},
	}
}

func deepCopyTemplate(t *api.PodTemplateSpec) api.PodTemplateSpec {
	rs := deepCopy(&api.ReplicaSet{Spec: api.ReplicaSetSpec{Template: *t}})
	return rs.Spec.Template
}

// collided handles a ReplicaSet name that exists: when it is ours with our template the cache was
// behind; otherwise two templates share a hash, and the collision count in the status changes it.
func (dc *deploymentController) collided(ctx context.Context, s *state, want *api.ReplicaSet) (*api.ReplicaSet, error) {
	obj, err := dc.c.Get(ctx, replicaSetKind, want.Namespace, want.Name)
	if err != nil {
		return nil, fmt.Errorf("get replicaset %s: %w", want.Name, err)
	}
	rs := obj.(*api.ReplicaSet)
	if ref := controllerOf(&rs.ObjectMeta); ref != nil && ref.UID == s.d.UID && sameTemplate(&rs.Spec.Template, &s.d.Spec.Template) {
		dc.rss.Observe(rs)
		s.put(rs)
		return rs, nil
	}
	cp := deepCopy(s.d)
	n := int32(1)
	if c := cp.Status.CollisionCount; c != nil {
		n = *c + 1
	}
	cp.Status.CollisionCount = &n
	out, err := dc.c.UpdateStatus(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("update collision count of deployment %s: %w", s.d.Name, err)
	}
	dc.deploys.Observe(out)
	return nil, fmt.Errorf("replicaset %s exists with another template; collision count is now %d", want.Name, n)
}

// cleanup deletes the oldest unused ReplicaSets beyond revisionHistoryLimit.
func (dc *deploymentController) cleanup(ctx context.Context, s *state, newRS *api.ReplicaSet) error {
	limit := s.d.Spec.RevisionHistoryLimit
	if limit == nil {
		return nil
	}
	var unused []*api.ReplicaSet
	for _, rs := range s.old(newRS) {
		if spec(rs) == 0 && len(s.pods[rs.UID]) == 0 && rs.Status.Replicas == 0 && rs.DeletionTimestamp == nil {
			unused = append(unused, rs)
		}
	}
	for i := 0; i < len(unused)-int(*limit); i++ {
		rs := unused[i]
		uid := rs.UID
		out, err := dc.c.Delete(ctx, replicaSetKind, rs.Namespace, rs.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
		if err != nil && !api.IsNotFound(err) {
			return fmt.Errorf("delete old replicaset %s: %w", rs.Name, err)
		}
		if out == nil {
			out = rs
		}
		dc.rss.ObserveDelete(out)
		s.drop(rs)
	}
	return nil
}
