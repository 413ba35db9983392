package node

import (
	"slices"
	"testing"

	"github.com/wk-project/wk/control/api"
)

func TestDiffPods(t *testing.T) {
	pod := func(uid, phase string, deleting bool) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{UID: uid, Name: uid}}
		p.Status.Phase = phase
		if deleting {
			now := api.Now()
			p.DeletionTimestamp = &now
		}
		return p
	}
	tests := []struct {
		name      string
		desired   []*api.Pod
		running   []string
		wantStart []string
		wantStop  []string
	}{
		{"new pod starts", []*api.Pod{pod("a", "", false)}, nil, []string{"a"}, nil},
		{"running pod stays", []*api.Pod{pod("a", "Running", false)}, []string{"a"}, nil, nil},
		{"deleted pod stops", nil, []string{"a"}, nil, []string{"a"}},
		{"terminating pod stops", []*api.Pod{pod("a", "Running", true)}, []string{"a"}, nil, []string{"a"}},
		{"terminating pod is not started", []*api.Pod{pod("a", "", true)}, nil, nil, nil},
		{"finished pod is not started again", []*api.Pod{pod("a", "Failed", false), pod("b", "Succeeded", false)}, nil, nil, nil},
		{"mixed", []*api.Pod{pod("a", "", false), pod("b", "Running", false)}, []string{"b", "c"}, []string{"a"}, []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := map[string]*api.Pod{}
			for _, p := range tt.desired {
				desired[p.UID] = p
			}
			running := map[string]bool{}
			for _, uid := range tt.running {
				running[uid] = true
			}
			start, stop := diffPods(desired, running)
			var started []string
			for _, p := range start {
				started = append(started, p.UID)
			}
			slices.Sort(started)
			slices.Sort(stop)
			if !slices.Equal(started, tt.wantStart) || !slices.Equal(stop, tt.wantStop) {
				t.Fatalf("start %v stop %v, want %v and %v", started, stop, tt.wantStart, tt.wantStop)
			}
		})
	}
}
