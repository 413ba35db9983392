package controller

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/wk-project/wk/control/api"
)

// burstReplicas bounds the pods one sync creates or deletes, as in Kubernetes.
const burstReplicas = 500

// replicaSetController keeps spec.replicas pods of each ReplicaSet's template, adopting orphans
// its selector matches, and reports ready and available counts.
type replicaSetController struct {
	*loop
	c    Client
	pods *Informer
	rss  *Informer
	ev   eventSink
	now  func() time.Time
}

func newReplicaSetController(m *Manager) *replicaSetController {
	r := &replicaSetController{c: m.c, pods: m.pods, rss: m.rss, ev: m.events, now: m.cfg.Now}
	r.loop = newLoop("replicaset", m.log, r.sync)
	m.rss.AddHandler(func(old, cur api.Object) { r.enqueue(either(old, cur)) })
	m.pods.AddHandler(r.podChanged)
	return r
}

// either is cur, or old when cur is nil (a delete).
func either(old, cur api.Object) api.Object {
	if cur != nil {
		return cur
	}
	return old
}

// podChanged queues the pod's ReplicaSet, or for an orphan every ReplicaSet that may adopt it.
func (r *replicaSetController) podChanged(old, cur api.Object) {
	for _, o := range []api.Object{old, cur} {
		if o == nil {
			continue
		}
		p := o.(*api.Pod)
		if ref := controllerOf(&p.ObjectMeta); ref != nil {
			if ref.Kind == "ReplicaSet" {
				r.queue.Add(makeKey(p.Namespace, ref.Name))
			}
			continue
		}
		if o == cur && isPodActive(p) {
			for _, rs := range r.rss.List(p.Namespace) {
				if sel, err := api.LabelSelectorAsSelector(rs.(*api.ReplicaSet).Spec.Selector); err == nil && sel.Matches(p.Labels) {
					r.enqueue(rs)
				}
			}
		}
	}
}

func (r *replicaSetController) sync(ctx context.Context, key string) error {
	obj := r.rss.GetKey(key)
	if obj == nil {
		return nil
	}
	rs := obj.(*api.ReplicaSet)
	sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return nil // validation keeps such selectors out
	}
	if err := r.adoptOrphans(ctx, rs, sel); err != nil {
		return err
	}
	var manageErr error
	if rs.DeletionTimestamp == nil {
		manageErr = r.manage(ctx, rs, activePodsOf(r.pods, rs, sel))
	}
	if err := r.updateStatus(ctx, rs, sel, manageErr); err != nil {
		return err
	}
	return manageErr
}

// activePodsOf returns the active pods that owner controls and sel matches.
func activePodsOf(pods *Informer, owner api.Object, sel api.Selector) []*api.Pod {
	var out []*api.Pod
	for _, p := range ownedBy[*api.Pod](pods, owner) {
		if isPodActive(p) && sel.Matches(p.Labels) {
			out = append(out, p)
		}
	}
	return out
}

// adoptOrphans makes rs the controller of the active pods in its namespace that have none and
// that its selector matches.
func (r *replicaSetController) adoptOrphans(ctx context.Context, rs *api.ReplicaSet, sel api.Selector) error {
	if rs.DeletionTimestamp != nil {
		return nil
	}
	for _, o := range r.pods.ByIndex(indexOwner, orphanOf(rs.Namespace)) {
		p := o.(*api.Pod)
		if !isPodActive(p) || !sel.Matches(p.Labels) {
			continue
		}
		cp := deepCopy(p)
		cp.OwnerReferences = append(cp.OwnerReferences, ownerRefTo(rs))
		out, err := r.c.Update(ctx, cp)
		if api.IsNotFound(err) || api.IsConflict(err) {
			continue // the pod's next event brings us back
		}
		if err != nil {
			return fmt.Errorf("adopt pod %s: %w", p.Name, err)
		}
		r.pods.Observe(out)
	}
	return nil
}

// manage creates or deletes pods until rs has spec.replicas active ones.
func (r *replicaSetController) manage(ctx context.Context, rs *api.ReplicaSet, active []*api.Pod) error {
	diff := len(active) - int(replicasOf(rs.Spec.Replicas))
	switch {
	case diff < 0:
		return r.createPods(ctx, rs, min(-diff, burstReplicas))
	case diff > 0:
		return r.deletePods(ctx, rs, active, min(diff, burstReplicas))
	}
	return nil
}

// replicasOf reads an optional replica count; the API server defaults it to 1.
func replicasOf(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// createPods creates n pods in growing batches (1, 2, 4, ...), stopping at the first batch that
// fails, so that a quota or a bad template costs one error, not n.
func (r *replicaSetController) createPods(ctx context.Context, rs *api.ReplicaSet, n int) error {
	for done, batch := 0, 1; done < n; batch *= 2 {
		size := min(batch, n-done)
		if err := parallel(size, func(int) error { return r.createPod(ctx, rs) }); err != nil {
			return err
		}
		done += size
	}
	return nil
}

func (r *replicaSetController) createPod(ctx context.Context, rs *api.ReplicaSet) error {
	out, err := r.c.Create(ctx, podFromTemplate(rs, &rs.Spec.Template, ""))
	if err != nil {
		r.ev.warning(rs, "FailedCreate", "Error creating: %v", err)
		return fmt.Errorf("create pod of replicaset %s: %w", rs.Name, err)
	}
	r.pods.Observe(out)
	r.ev.normal(rs, "SuccessfulCreate", "Created pod: %s", out.GetObjectMeta().Name)
	return nil
}

// podFromTemplate makes a new pod of owner's template, named OWNER-xxxxx. The spec is shared with
// the template and must not be modified.
func podFromTemplate(owner api.Object, t *api.PodTemplateSpec, nodeName string) *api.Pod {
	m := owner.GetObjectMeta()
	prefix := m.Name + "-"
	if len(prefix) > maxGeneratedPrefix {
		prefix = prefix[:maxGeneratedPrefix]
	}
	p := &api.Pod{
		ObjectMeta: api.ObjectMeta{
			GenerateName:    prefix,
			Namespace:       m.Namespace,
			Labels:          copyMap(t.Labels),
			Annotations:     copyMap(t.Annotations),
			OwnerReferences: []api.OwnerReference{ownerRefTo(owner)},
		},
		Spec: t.Spec,
	}
	p.Spec.NodeName = nodeName
	return p
}

// maxGeneratedPrefix keeps a generated pod name within 63 characters, as Kubernetes does.
const maxGeneratedPrefix = 58

// deletePods deletes n of the active pods, the ones Kubernetes would delete first.
func (r *replicaSetController) deletePods(ctx context.Context, rs *api.ReplicaSet, active []*api.Pod, n int) error {
	sorted := append([]*api.Pod(nil), active...)
	sort.Slice(sorted, func(i, j int) bool { return deleteFirst(sorted[i], sorted[j]) })
	return parallel(n, func(i int) error {
		p := sorted[i]
		if err := deletePod(ctx, r.c, r.pods, p); err != nil {
			r.ev.warning(rs, "FailedDelete", "Error deleting: %v", err)
			return fmt.Errorf("delete pod %s of replicaset %s: %w", p.Name, rs.Name, err)
		}
		r.ev.normal(rs, "SuccessfulDelete", "Deleted pod: %s", p.Name)
		return nil
	})
}

// deletePod deletes p (that very pod: the UID is a precondition) and drops it from the cache; a
// pod already gone is not an error.
func deletePod(ctx context.Context, c Client, pods *Informer, p *api.Pod) error {
	uid := p.UID
	out, err := c.Delete(ctx, podKind, p.Namespace, p.Name, &api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
	switch {
	case api.IsNotFound(err):
		pods.ObserveDelete(p)
		return nil
	case err != nil:
		return err
	}
	pods.ObserveDelete(out)
	return nil
}

// updateStatus writes the counts of rs's pods, when they changed, and rechecks when a ready pod
// will become available.
func (r *replicaSetController) updateStatus(ctx context.Context, rs *api.ReplicaSet, sel api.Selector, manageErr error) error {
	now := r.now()
	pods := activePodsOf(r.pods, rs, sel)
	st := api.ReplicaSetStatus{Replicas: int32(len(pods)), ObservedGeneration: rs.Generation}
	labels := api.SelectorFromSet(rs.Spec.Template.Labels)
	var wait time.Duration
	for _, p := range pods {
		if labels.Matches(p.Labels) {
			st.FullyLabeledReplicas++
		}
		if isPodReady(p) {
			st.ReadyReplicas++
		}
		if isPodAvailable(p, rs.Spec.MinReadySeconds, now) {
			st.AvailableReplicas++
		} else if d := untilAvailable(p, rs.Spec.MinReadySeconds, now); d > 0 && (wait == 0 || d < wait) {
			wait = d
		}
	}
	st.Conditions = replicaFailure(rs.Status.Conditions, manageErr, now)
	if wait > 0 {
		r.queue.AddAfter(keyOf(rs), wait+10*time.Millisecond)
	}
	if reflect.DeepEqual(st, rs.Status) {
		return nil
	}
	cp := deepCopy(rs)
	cp.Status = st
	out, err := r.c.UpdateStatus(ctx, cp)
	if err != nil {
		return fmt.Errorf("update status of replicaset %s: %w", rs.Name, err)
	}
	r.rss.Observe(out)
	return nil
}

// replicaFailure sets the ReplicaFailure condition while creating or deleting pods fails.
func replicaFailure(conds []api.ReplicaSetCondition, err error, now time.Time) []api.ReplicaSetCondition {
	var out []api.ReplicaSetCondition
	var had bool
	for _, c := range conds {
		if c.Type != "ReplicaFailure" || err != nil {
			out = append(out, c)
		}
		had = had || c.Type == "ReplicaFailure"
	}
	if err != nil && !had {
		out = append(out, api.ReplicaSetCondition{Type: "ReplicaFailure", Status: api.ConditionTrue,
			LastTransitionTime: api.NewTime(now), Reason: "FailedCreate", Message: err.Error()})
	}
	return out
}

// parallel runs f(0..n-1) at once and returns the first error.
func parallel(n int, f func(i int) error) error {
	if n == 1 {
		return f(0)
	}
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- f(i) }()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
