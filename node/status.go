package node

import (
	"context"
	"encoding/json"
	"time"

	"github.com/wk-project/wk/control/api"
)

// podStatus computes the pod's status from what the worker knows.
func (w *podWorker) podStatus() api.PodStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := api.PodStatus{HostIP: w.a.cfg.Address, StartTime: &w.startTime}
	if w.podIP.IsValid() {
		st.PodIP = w.podIP.String()
	}
	allReady, allDone, anyFailed, anyStarted := true, true, false, false
	for _, cs := range w.containers {
		s := cs.status
		if w.waiting != "" {
			s.State = api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: w.waiting, Message: w.waitMsg}}
		} else if s.State == (api.ContainerState{}) {
			s.State = api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "ContainerCreating"}}
		}
		s.Ready = s.State.Running != nil && cs.ready
		allReady = allReady && s.Ready
		allDone = allDone && cs.finished
		if t := s.State.Terminated; t != nil && cs.finished && t.ExitCode != 0 {
			anyFailed = true
		}
		anyStarted = anyStarted || s.State.Running != nil || s.State.Terminated != nil || s.RestartCount > 0
		st.ContainerStatuses = append(st.ContainerStatuses, s)
	}
	switch {
	case allDone && anyFailed:
		st.Phase = api.PodFailed
	case allDone:
		st.Phase = api.PodSucceeded
	case anyStarted:
		st.Phase = api.PodRunning
	default:
		st.Phase = api.PodPending
	}
	ready := boolCondition(allReady)
	w.setCondition(api.PodScheduled, api.ConditionTrue)
	w.setCondition(api.PodInitialized, api.ConditionTrue)
	w.setCondition(api.ContainersReady, ready)
	w.setCondition(api.PodReady, ready)
	for _, t := range []string{api.PodInitialized, api.PodReady, api.ContainersReady, api.PodScheduled} {
		st.Conditions = append(st.Conditions, w.conditions[t])
	}
	return st
}

// setCondition records a condition's status, keeping its transition time while it holds.
func (w *podWorker) setCondition(t, status string) {
	c, ok := w.conditions[t]
	if ok && c.Status == status {
		return
	}
	w.conditions[t] = api.PodCondition{Type: t, Status: status, LastTransitionTime: api.Now()}
}

func boolCondition(b bool) string {
	if b {
		return api.ConditionTrue
	}
	return api.ConditionFalse
}

// reportLoop writes the pod's status whenever it changes, until the pod stops.
func (w *podWorker) reportLoop(ctx context.Context) {
	var last []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.changed:
		}
		st := w.podStatus()
		b, _ := json.Marshal(st)
		if string(b) == string(last) {
			continue
		}
		for ctx.Err() == nil {
			err := w.writeStatus(ctx, st)
			if err == nil {
				last = b
				break
			}
			if api.IsNotFound(err) {
				return
			}
			w.a.log.Warn("pod status not reported", "pod", w.pod.Namespace+"/"+w.pod.Name, "err", err)
			sleepCtx(ctx, time.Second)
		}
	}
}

func (w *podWorker) writeStatus(ctx context.Context, st api.PodStatus) error {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: w.pod.Name, Namespace: w.pod.Namespace}, Status: st}
	api.SetTypeMeta(p)
	_, err := w.a.client.UpdateStatus(ctx, p)
	return err
}
