package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

const (
	// statusWriteTimeout bounds one status write, so that an API server that does not answer
	// holds up nothing but the next attempt.
	statusWriteTimeout = 10 * time.Second
	// minReportRetry and maxReportRetry bound the wait before writing a status again after a
	// failed write; a change of the pod's status tries at once.
	minReportRetry = time.Second
	maxReportRetry = 5 * time.Second
)

// errPodGone is a status write for a pod that no longer exists: deleted, or replaced by another
// of the same name.
var errPodGone = errors.New("pod gone")

// reportLoop writes the pod's status whenever it changes, until the pod stops. It runs beside the
// pod, which only signals changes (touch), so a write that fails or hangs never holds the pod up.
// Each attempt writes the status as it is at that moment: after the control plane was away the
// first write that succeeds carries the latest restart counts, states and readiness, not those of
// when the connection dropped.
func (w *podWorker) reportLoop(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	backoff := minReportRetry
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.changed:
		case <-retry.C:
		}
		err := w.report(ctx)
		switch {
		case err == nil:
			retry.Stop()
			backoff = minReportRetry
		case errors.Is(err, errPodGone):
			return
		case ctx.Err() != nil:
			return
		default:
			if backoff == minReportRetry {
				w.a.log.Warn("pod status not reported; retrying", "pod", w.pod.Namespace+"/"+w.pod.Name, "err", err)
			}
			retry.Reset(backoff)
			backoff = min(backoff*2, maxReportRetry)
		}
	}
}

// report writes the pod's current status, unless it is the one written last and the API server
// has not been seen to hold another since.
func (w *podWorker) report(ctx context.Context) error {
	st := w.podStatus()
	d := statusDigest(st)
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	w.mu.Lock()
	same := bytes.Equal(b, w.reported) && (w.serverAs == "" || w.serverAs == d)
	w.mu.Unlock()
	if same {
		return nil
	}
	rv, err := w.writeStatus(ctx, st)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.reported = b
	w.seenLocked(rv, d)
	w.mu.Unlock()
	return nil
}

// writeStatus writes st as the status of this worker's pod: a compare-and-swap on the pod's
// resourceVersion, so that it never lands on another pod that took the name meanwhile.
func (w *podWorker) writeStatus(ctx context.Context, st api.PodStatus) (rv string, err error) {
	ctx, cancel := context.WithTimeout(ctx, statusWriteTimeout)
	defer cancel()
	ns, name := w.pod.Namespace, w.pod.Name
	for attempt := 0; ; attempt++ {
		if w.rv == "" {
			obj, err := w.a.client.Get(ctx, w.a.kinds.pods, ns, name)
			if api.IsNotFound(err) {
				return "", errPodGone
			}
			if err != nil {
				return "", fmt.Errorf("read pod %s/%s: %w", ns, name, err)
			}
			m := obj.GetObjectMeta()
			if m.UID != w.pod.UID {
				return "", errPodGone
			}
			w.rv = m.ResourceVersion
		}
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns, UID: w.pod.UID, ResourceVersion: w.rv}, Status: st}
		api.SetTypeMeta(p)
		out, err := w.a.client.UpdateStatus(ctx, p)
		switch {
		case err == nil:
			w.rv = out.GetObjectMeta().ResourceVersion
			return w.rv, nil
		case api.IsNotFound(err):
			return "", errPodGone
		case api.IsConflict(err) && attempt < 3: // written by someone else meanwhile: read it again
			w.rv = ""
		default:
			w.rv = ""
			return "", fmt.Errorf("write status of pod %s/%s: %w", ns, name, err)
		}
	}
}

// observe tells the reporter how the API server has the pod now. When that is not what the
// worker would write (the node lifecycle controller marked the pod not ready while the node was
// unreachable, say), the status is written again.
func (w *podWorker) observe(p *api.Pod) {
	if p == nil {
		return
	}
	w.mu.Lock()
	w.seenLocked(p.ResourceVersion, statusDigest(p.Status))
	w.mu.Unlock()
	w.touch()
}

// seenLocked records the pod's status digest on the API server at revision rv, unless a newer
// revision was seen already: watch events, lists and the answers to writes arrive in any order.
func (w *podWorker) seenLocked(rv, digest string) {
	rev, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || rev <= w.serverRev { // a write's answer and its watch event share a revision
		return
	}
	w.serverRev, w.serverAs = rev, digest
}

// statusDigest sums up what of a pod's status others act on and may overwrite: phase, readiness,
// restart counts. It leaves out what the API server may write differently, such as times.
func statusDigest(st api.PodStatus) string {
	var b strings.Builder
	b.WriteString(st.Phase)
	for _, c := range st.Conditions {
		if c.Type == api.PodReady || c.Type == api.ContainersReady {
			fmt.Fprintf(&b, " %s=%s", c.Type, c.Status)
		}
	}
	for _, c := range st.ContainerStatuses {
		fmt.Fprintf(&b, " %s:%t:%d", c.Name, c.Ready, c.RestartCount)
	}
	return b.String()
}
