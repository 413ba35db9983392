package scheduler

import (
	"testing"

	"github.com/wk-project/wk/control/api"
)

func TestFitMessage(t *testing.T) {
	tests := []struct {
		name   string
		total  int
		counts map[string]int
		want   string
	}{
		{"one reason", 3, map[string]int{reasonText[failCPU]: 3}, "0/3 nodes are available: 3 Insufficient cpu."},
		{"by count, most first", 5, map[string]int{reasonText[failUnschedulable]: 2, reasonText[failMemory]: 3},
			"0/5 nodes are available: 3 Insufficient memory, 2 node(s) were unschedulable."},
		{"equal counts by text", 4, map[string]int{reasonText[failUnschedulable]: 2, reasonText[failNotReady]: 2, reasonText[failCPU]: 2},
			"0/4 nodes are available: 2 Insufficient cpu, 2 node(s) were not ready, 2 node(s) were unschedulable."},
		{"counts compare as numbers", 12, map[string]int{reasonText[failCPU]: 9, reasonText[failPods]: 10},
			"0/12 nodes are available: 10 Too many pods, 9 Insufficient cpu."},
		{"no reasons", 0, nil, "0/0 nodes are available."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fitMessage(tt.total, tt.counts); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestReason checks the message of an unschedulable pod over a mixed cluster.
func TestReason(t *testing.T) {
	small := alloc("4", "1Gi", "110")
	tests := []struct {
		name  string
		nodes []*api.Node
		bound []*api.Pod
		pod   *api.Pod
		want  string
	}{
		{
			name:  "kubectl example",
			nodes: []*api.Node{node("a", small), node("b", small), node("c", small), node("d", cordoned), node("e", cordoned)},
			pod:   pod("p", requests("", "2Gi")),
			want:  "0/5 nodes are available: 3 Insufficient memory, 2 node(s) were unschedulable.",
		},
		{
			name: "every filter",
			nodes: []*api.Node{
				node("ready-not", notReady),
				node("cordoned", cordoned),
				node("tainted", taint("gpu", "a100", api.TaintNoSchedule)),
				node("tainted2", taint("gpu", "a100", api.TaintNoExecute)),
				node("elsewhere", label("disk", "hdd")),
				node("wasm-only", label("disk", "ssd")),
				node("port", label("disk", "ssd"), label(LabelRuntimeRunc, "true")),
				node("full", label("disk", "ssd"), label(LabelRuntimeRunc, "true"), alloc("1", "1Gi", "0")),
			},
			bound: []*api.Pod{pod("web", boundTo("port"), hostPorts(80))},
			pod:   pod("p", nodeSelector("disk", "ssd"), runtimeClass("runc"), hostPorts(80), requests("2", "")),
			want: "0/8 nodes are available: 2 node(s) had untolerated taint {gpu: a100}, 1 Insufficient cpu, 1 Too many pods, " +
				"1 node(s) didn't have free ports for the requested pod ports, 1 node(s) didn't match Pod's node affinity/selector, " +
				"1 node(s) didn't offer the runc runtime, 1 node(s) were not ready, 1 node(s) were unschedulable.",
		},
		{
			name:  "taints are told apart",
			nodes: []*api.Node{node("a", taint("x", "1", api.TaintNoSchedule)), node("b", taint("x", "2", api.TaintNoSchedule)), node("c", taint("x", "2", api.TaintNoSchedule))},
			pod:   pod("p"),
			want:  "0/3 nodes are available: 2 node(s) had untolerated taint {x: 2}, 1 node(s) had untolerated taint {x: 1}.",
		},
		{
			name: "no nodes",
			pod:  pod("p"),
			want: "no nodes available to schedule pods",
		},
		{
			name:  "being deleted",
			nodes: []*api.Node{node("a")},
			pod:   pod("p", func(p *api.Pod) { p.DeletionTimestamp = &api.Time{Time: now} }),
			want:  "pod is being deleted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Schedule(NewSnapshot(tt.nodes, tt.bound), []*api.Pod{tt.pod}, now)[0]
			if d.NodeName != "" || d.Reason != tt.want {
				t.Errorf("got node %q reason\n  %q\nwant\n  %q", d.NodeName, d.Reason, tt.want)
			}
		})
	}
}

// TestReasonAfterPlacement checks that a remembered failure is not reused once a placement has
// changed the cluster.
func TestReasonAfterPlacement(t *testing.T) {
	snap := NewSnapshot([]*api.Node{node("a", alloc("1", "1Gi", "1")), node("b", alloc("2", "1Gi", "2"))}, nil)
	ds := Schedule(snap, []*api.Pod{
		pod("big1", requests("3", "")),
		pod("big2", requests("3", "")),
		pod("small", requests("1", "")),
		pod("small2", requests("1", "")),
		pod("big3", requests("3", "")),
	}, now)
	want := []string{
		"0/2 nodes are available: 2 Insufficient cpu.",
		"0/2 nodes are available: 2 Insufficient cpu.",
		"",
		"",
		"0/2 nodes are available: 2 Insufficient cpu, 1 Too many pods.",
	}
	for i, d := range ds {
		if d.Reason != want[i] {
			t.Errorf("%s: reason %q, want %q", d.Pod.Name, d.Reason, want[i])
		}
	}
}
