package controller

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

func TestDaemonSetRunsOnePodPerMatchingNode(t *testing.T) {
	cl := newCluster(t)
	cl.nodes.addNode("edge0", map[string]string{"role": "edge"})
	cl.nodes.addNode("edge1", map[string]string{"role": "edge"})
	cl.nodes.addNode("core0", map[string]string{"role": "core"})
	labels := map[string]string{"app": "agent"}
	cl.create(&api.DaemonSet{
		ObjectMeta: api.ObjectMeta{Name: "agent", Namespace: "default"},
		Spec: api.DaemonSetSpec{
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec: api.PodSpec{
					NodeSelector: map[string]string{"role": "edge"},
					Containers:   []api.Container{{Name: "agent", Image: "agent:v1"}},
				},
			},
		},
	})
	cl.waitDaemons("edge0,edge1", "agent:v1")
	waitFor(t, 5*time.Second, "daemonset status", func() (bool, string) {
		st := cl.get(daemonSetKind, "agent").(*api.DaemonSet).Status
		return st.DesiredNumberScheduled == 2 && st.CurrentNumberScheduled == 2 && st.NumberReady == 2 &&
			st.NumberAvailable == 2 && st.UpdatedNumberScheduled == 2 && st.NumberMisscheduled == 0, fmt.Sprintf("%+v", st)
	})

	cl.nodes.addNode("edge2", map[string]string{"role": "edge"})
	cl.waitDaemons("edge0,edge1,edge2", "agent:v1")

	cl.update(nodeKind, "edge1", func(o api.Object) { o.(*api.Node).Labels["role"] = "core" })
	cl.waitDaemons("edge0,edge2", "agent:v1")

	cl.update(daemonSetKind, "agent", func(o api.Object) {
		o.(*api.DaemonSet).Spec.Template.Spec.Containers[0].Image = "agent:v2"
	})
	cl.waitDaemons("edge0,edge2", "agent:v2")
}

// waitDaemons waits until the daemon pods run on exactly these nodes, one each, all Ready and of
// image.
func (cl *cluster) waitDaemons(nodes, image string) {
	cl.t.Helper()
	waitFor(cl.t, 10*time.Second, "daemon pods on "+nodes, func() (bool, string) {
		var on []string
		ok := true
		for _, p := range cl.pods("app=agent") {
			on = append(on, p.Spec.NodeName)
			ok = ok && isPodReady(p) && p.Spec.Containers[0].Image == image
		}
		sort.Strings(on)
		got := strings.Join(on, ",")
		return ok && got == nodes, fmt.Sprintf("pods on %q", got)
	})
}
