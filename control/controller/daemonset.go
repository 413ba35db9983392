package controller

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/wk-project/wk/control/api"
)

// labelDaemonRevision marks which template a daemon pod was made from.
const labelDaemonRevision = "controller-revision-hash"

// daemonSetController runs one pod of each DaemonSet on every node that its template's node
// selector, node affinity and tolerations allow, binding the pod to the node itself.
type daemonSetController struct {
	*loop
	c     Client
	pods  *Informer
	nodes *Informer
	dss   *Informer
	ev    eventSink
	now   func() time.Time
}

func newDaemonSetController(m *Manager) *daemonSetController {
	dc := &daemonSetController{c: m.c, pods: m.pods, nodes: m.nodes, dss: m.dss, ev: m.events, now: m.cfg.Now}
	dc.loop = newLoop("daemonset", m.log, dc.sync)
	m.dss.AddHandler(func(old, cur api.Object) { dc.enqueue(either(old, cur)) })
	m.nodes.AddHandler(func(old, cur api.Object) {
		if old == nil || cur == nil || nodePlacementChanged(old.(*api.Node), cur.(*api.Node)) {
			for _, ds := range dc.dss.List("") {
				dc.enqueue(ds)
			}
		}
	})
	m.pods.AddHandler(func(old, cur api.Object) {
		p := either(old, cur).(*api.Pod)
		if ref := controllerOf(&p.ObjectMeta); ref != nil && ref.Kind == "DaemonSet" {
			dc.queue.Add(makeKey(p.Namespace, ref.Name))
		}
	})
	return dc
}

// nodePlacementChanged reports whether a node update may change which pods belong on it.
func nodePlacementChanged(old, cur *api.Node) bool {
	return !reflect.DeepEqual(old.Labels, cur.Labels) || !reflect.DeepEqual(old.Spec.Taints, cur.Spec.Taints) ||
		old.Spec.Unschedulable != cur.Spec.Unschedulable || nodeReadyStatus(old) != nodeReadyStatus(cur) ||
		!reflect.DeepEqual(old.Status.Allocatable, cur.Status.Allocatable)
}

func nodeReadyStatus(n *api.Node) string {
	if c := n.Condition(api.NodeReady); c != nil {
		return c.Status
	}
	return ""
}

// daemonTolerations are added to every daemon pod, as Kubernetes does: a daemon stays on a node
// that is not ready or unreachable, and lands on a cordoned one.
var daemonTolerations = []api.Toleration{
	{Key: taintNotReady, Operator: "Exists", Effect: api.TaintNoExecute},
	{Key: taintUnreachable, Operator: "Exists", Effect: api.TaintNoExecute},
	{Key: taintUnschedulable, Operator: "Exists", Effect: api.TaintNoSchedule},
}

// shouldRun reports whether ds wants a pod on n.
func shouldRun(ds *api.DaemonSet, n *api.Node) bool {
	if !nodeMatches(&ds.Spec.Template.Spec, n) {
		return false
	}
	ts := append(append([]api.Toleration(nil), ds.Spec.Template.Spec.Tolerations...), daemonTolerations...)
	for i := range n.Spec.Taints {
		t := &n.Spec.Taints[i]
		if t.Effect != api.TaintPreferNoSched && toleration(ts, t) == nil {
			return false
		}
	}
	return true
}

// daemonPlan is what one sync of a DaemonSet does.
type daemonPlan struct {
	create []string   // node names
	remove []*api.Pod // surplus, misplaced, failed or outdated pods
}

func (dc *daemonSetController) sync(ctx context.Context, key string) error {
	obj := dc.dss.GetKey(key)
	if obj == nil {
		return nil
	}
	ds := obj.(*api.DaemonSet)
	sel, err := api.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil
	}
	hash := templateHash(&ds.Spec.Template, nil)
	if ds.DeletionTimestamp == nil {
		plan := dc.plan(ds, sel, hash)
		if err := dc.apply(ctx, ds, hash, plan); err != nil {
			return err
		}
	}
	return dc.updateStatus(ctx, ds, sel, hash)
}

// podsByNode groups the DaemonSet's pods by node; failed ones are returned apart.
func (dc *daemonSetController) podsByNode(ds *api.DaemonSet, sel api.Selector) (map[string][]*api.Pod, []*api.Pod) {
	byNode := map[string][]*api.Pod{}
	var failed []*api.Pod
	for _, p := range ownedBy[*api.Pod](dc.pods, ds) {
		switch {
		case !sel.Matches(p.Labels) || p.DeletionTimestamp != nil:
		case p.Status.Phase == api.PodFailed:
			failed = append(failed, p)
		case isPodActive(p):
			byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
		}
	}
	return byNode, failed
}

func (dc *daemonSetController) plan(ds *api.DaemonSet, sel api.Selector, hash string) daemonPlan {
	byNode, failed := dc.podsByNode(ds, sel)
	plan := daemonPlan{remove: failed}
	var desired, unavailable int
	var outdated []*api.Pod
	now := dc.now()
	for _, o := range dc.nodes.List("") {
		n := o.(*api.Node)
		pods := byNode[n.Name]
		delete(byNode, n.Name)
		if !shouldRun(ds, n) {
			plan.remove = append(plan.remove, pods...)
			continue
		}
		desired++
		if len(pods) == 0 {
			plan.create = append(plan.create, n.Name)
			unavailable++
			continue
		}
		sort.Slice(pods, func(i, j int) bool { return pods[i].CreationTimestamp.Before(pods[j].CreationTimestamp.Time) })
		plan.remove = append(plan.remove, pods[1:]...)
		if !isPodAvailable(pods[0], ds.Spec.MinReadySeconds, now) {
			unavailable++
		}
		if pods[0].Labels[labelDaemonRevision] != hash {
			outdated = append(outdated, pods[0])
		}
	}
	for _, pods := range byNode {
		plan.remove = append(plan.remove, pods...) // on nodes that are gone
	}
	plan.remove = append(plan.remove, dc.rollingUpdate(ds, outdated, desired, unavailable, now)...)
	return plan
}

// rollingUpdate picks the outdated pods to replace now: every one that is not available, and
// available ones while fewer than maxUnavailable nodes lack an available pod.
func (dc *daemonSetController) rollingUpdate(ds *api.DaemonSet, outdated []*api.Pod, desired, unavailable int, now time.Time) []*api.Pod {
	us := ds.Spec.UpdateStrategy
	if us.Type == "OnDelete" {
		return nil
	}
	budget := 1
	if us.RollingUpdate != nil {
		budget = max(resolve(us.RollingUpdate.MaxUnavailable, desired, false, "1"), 1)
	}
	var out []*api.Pod
	for _, p := range outdated {
		if !isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
			out = append(out, p)
		}
	}
	for _, p := range outdated {
		if unavailable >= budget {
			break
		}
		if isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
			out = append(out, p)
			unavailable++
		}
	}
	return out
}

func (dc *daemonSetController) apply(ctx context.Context, ds *api.DaemonSet, hash string, plan daemonPlan) error {
	createErr := parallel(len(plan.create), func(i int) error { return dc.createPod(ctx, ds, hash, plan.create[i]) })
	deleteErr := parallel(len(plan.remove), func(i int) error {
		p := plan.remove[i]
		if err := deletePod(ctx, dc.c, dc.pods, p); err != nil {
			return fmt.Errorf("delete pod %s of daemonset %s: %w", p.Name, ds.Name, err)
		}
		dc.ev.normal(ds, "SuccessfulDelete", "Deleted pod: %s", p.Name)
		return nil
	})
	return firstErr(createErr, deleteErr)
}

func (dc *daemonSetController) createPod(ctx context.Context, ds *api.DaemonSet, hash, node string) error {
	p := podFromTemplate(ds, &ds.Spec.Template, node)
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[labelDaemonRevision] = hash
	p.Spec.Tolerations = append(append([]api.Toleration(nil), p.Spec.Tolerations...), daemonTolerations...)
	out, err := dc.c.Create(ctx, p)
	if err != nil {
		dc.ev.warning(ds, "FailedCreate", "Error creating: %v", err)
		return fmt.Errorf("create pod of daemonset %s on node %s: %w", ds.Name, node, err)
	}
	dc.pods.Observe(out)
	dc.ev.normal(ds, "SuccessfulCreate", "Created pod: %s", out.GetObjectMeta().Name)
	return nil
}

func (dc *daemonSetController) updateStatus(ctx context.Context, ds *api.DaemonSet, sel api.Selector, hash string) error {
	byNode, _ := dc.podsByNode(ds, sel)
	st, wait := daemonStatus(ds, listAs[*api.Node](dc.nodes), byNode, hash, dc.now())
	if wait > 0 {
		dc.queue.AddAfter(keyOf(ds), wait+10*time.Millisecond)
	}
	if reflect.DeepEqual(st, ds.Status) {
		return nil
	}
	cp := deepCopy(ds)
	cp.Status = st
	out, err := dc.c.UpdateStatus(ctx, cp)
	if err != nil {
		return fmt.Errorf("update status of daemonset %s: %w", ds.Name, err)
	}
	dc.dss.Observe(out)
	return nil
}

// daemonStatus counts the nodes that want a daemon pod and how their pods are doing; wait is when
// a ready pod will become available.
func daemonStatus(ds *api.DaemonSet, nodes []*api.Node, byNode map[string][]*api.Pod, hash string, now time.Time) (st api.DaemonSetStatus, wait time.Duration) {
	st.ObservedGeneration = ds.Generation
	for _, n := range nodes {
		pods := byNode[n.Name]
		if !shouldRun(ds, n) {
			if len(pods) > 0 {
				st.NumberMisscheduled++
			}
			continue
		}
		st.DesiredNumberScheduled++
		if len(pods) == 0 {
			continue
		}
		st.CurrentNumberScheduled++
		p := pods[0]
		if p.Labels[labelDaemonRevision] == hash {
			st.UpdatedNumberScheduled++
		}
		if isPodReady(p) {
			st.NumberReady++
		}
		if isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
			st.NumberAvailable++
		} else if d := untilAvailable(p, ds.Spec.MinReadySeconds, now); d > 0 && (wait == 0 || d < wait) {
			wait = d
		}
	}
	st.NumberUnavailable = st.DesiredNumberScheduled - st.NumberAvailable
	return st, wait
}
