package controller

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

func TestEventsAggregateRepeats(t *testing.T) {
	c := newServer(t)
	r := newRecorder(c, slog.New(slog.DiscardHandler), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	pod := newPod("web-1")
	pod.UID = "u1"
	ev := eventSink{r: r, component: componentScheduler}
	for range 3 {
		ev.warning(pod, "FailedScheduling", "0/%d nodes are available", 3)
	}
	ev.normal(pod, "Scheduled", "Successfully assigned default/web-1 to node1")
	waitEvents(t, c, "FailedScheduling=3,Scheduled=1")
	ev.warning(pod, "FailedScheduling", "0/%d nodes are available", 3)
	ev.warning(pod, "FailedScheduling", "0/%d nodes are available", 3)
	waitEvents(t, c, "FailedScheduling=5,Scheduled=1")

	objs, _, _ := c.List(context.Background(), mustKind("events"), "default", client.ListOptions{FieldSelector: "reason=FailedScheduling"})
	e := objs[0].(*api.Event)
	if e.Type != api.EventWarning || e.Source.Component != componentScheduler || e.InvolvedObject.Kind != "Pod" ||
		e.InvolvedObject.UID != "u1" || e.Message != "0/3 nodes are available" || e.LastTimestamp.Before(e.FirstTimestamp.Time) {
		t.Errorf("event %+v", e)
	}
}

// waitEvents waits until the events in default are one per reason with these counts.
func waitEvents(t *testing.T, c Client, want string) {
	t.Helper()
	waitFor(t, 5*time.Second, "events "+want, func() (bool, string) {
		objs, _, err := c.List(context.Background(), mustKind("events"), "default", client.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		counts := map[string]int32{}
		for _, o := range objs {
			e := o.(*api.Event)
			if _, dup := counts[e.Reason]; dup {
				return false, "two events of reason " + e.Reason
			}
			counts[e.Reason] = e.Count
		}
		got := fmt.Sprintf("FailedScheduling=%d,Scheduled=%d", counts["FailedScheduling"], counts["Scheduled"])
		return got == want && len(counts) == 2, got
	})
}
