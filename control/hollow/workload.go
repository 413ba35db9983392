package hollow

import (
	"fmt"

	"github.com/wk-project/wk/control/api"
)

// image is the benchmark pods' image; hollow nodes never fetch it.
const image = "registry.wk.local/bench/hollow:1"

// benchReplicaSets splits pods over ReplicaSets of at most perSet replicas. Each pod asks for
// 100m cpu and 128Mi. With constraints, set j's pods select the nodes of pool j%10 (a tenth of
// the nodes), tolerate the taint some nodes carry, and, as every ReplicaSet's pods, are spread
// over nodes and zones by the scheduler.
func benchReplicaSets(pods, perSet int, constraints bool) []*api.ReplicaSet {
	var sets []*api.ReplicaSet
	for j := 0; pods > 0; j++ {
		n := int32(min(perSet, pods))
		pods -= int(n)
		name := fmt.Sprintf("bench-%04d", j)
		labels := map[string]string{"app": "bench", "set": name}
		spec := api.PodSpec{Containers: []api.Container{{
			Name:  "app",
			Image: image,
			Resources: api.ResourceRequirements{Requests: api.ResourceList{
				"cpu": api.MustParseQuantity("100m"), "memory": api.MustParseQuantity("128Mi"),
			}},
		}}}
		if constraints {
			spec.NodeSelector = map[string]string{labelPool: poolName(j % pools)}
			spec.Tolerations = []api.Toleration{{Key: taintKey, Operator: "Equal", Value: taintValue, Effect: api.TaintNoSchedule}}
		}
		sets = append(sets, &api.ReplicaSet{
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "bench"}},
			Spec: api.ReplicaSetSpec{
				Replicas: &n,
				Selector: &api.LabelSelector{MatchLabels: labels},
				Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: labels}, Spec: spec},
			},
		})
	}
	return sets
}
