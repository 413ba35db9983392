package node

import (
	"context"
	"fmt"
	"time"

	"github.com/wk-project/wk/control/api"
)

const (
	// minBackoff and maxBackoff bound the wait before restarting a container that ended; the wait
	// doubles at each restart and starts again from minBackoff after a run of resetBackoffAfter.
	minBackoff        = time.Second
	maxBackoff        = 5 * time.Minute
	resetBackoffAfter = 2 * time.Minute
)

// runContainer runs container i until the pod stops, restarting it as the pod's restartPolicy says.
func (w *podWorker) runContainer(ctx context.Context, sb Sandbox, i int, imageID string) {
	cs := w.containers[i]
	backoff := minBackoff
	for {
		started := time.Now()
		status, ok := w.runOnce(ctx, sb, i, imageID)
		if !ok {
			return
		}
		if !shouldRestart(w.pod.Spec.RestartPolicy, status.Code) {
			w.mu.Lock()
			cs.finished = true
			w.mu.Unlock()
			w.touch()
			return
		}
		if time.Since(started) > resetBackoffAfter {
			backoff = minBackoff
		}
		w.mu.Lock()
		cs.status.LastState = cs.status.State
		cs.status.State = api.ContainerState{Waiting: &api.ContainerStateWaiting{
			Reason:  "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", backoff, cs.spec.Name, w.pod.Name),
		}}
		w.mu.Unlock()
		w.touch()
		w.a.event(w.pod, api.EventWarning, "BackOff", "Back-off restarting failed container "+cs.spec.Name)
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, maxBackoff)
		w.mu.Lock()
		cs.status.RestartCount++
		w.mu.Unlock()
	}
}

// runOnce starts the container and waits for it to end; ok is false when the pod was stopped.
func (w *podWorker) runOnce(ctx context.Context, sb Sandbox, i int, imageID string) (ExitStatus, bool) {
	cs := w.containers[i]
	c := cs.spec
	env, err := w.a.containerEnv(ctx, w.pod, &c)
	if err != nil {
		return w.startFailed(ctx, cs, "CreateContainerConfigError", err)
	}
	spec := ContainerSpec{
		Name: c.Name, ImageID: imageID, Command: c.Command, Args: c.Args, WorkingDir: c.WorkingDir, Env: env,
		Mounts: mounts(c.VolumeMounts), MemoryLimit: memoryLimit(c), MilliCPU: cpuLimit(c),
	}
	for _, p := range c.Ports {
		if p.Protocol == "" || p.Protocol == api.ProtocolTCP {
			spec.Ports = append(spec.Ports, int(p.ContainerPort))
		}
	}
	proc, startedAt, adopted := w.adopt(ctx, sb, cs, spec)
	if !adopted {
		logs, err := openLog(w.dir, c.Name)
		if err != nil {
			return w.startFailed(ctx, cs, "CreateContainerError", err)
		}
		defer logs.Close()
		spec.Stdout, spec.Stderr, spec.LogPath = logs, logs, logs.path
		proc, err = sb.Start(ctx, spec)
		if err != nil {
			return w.startFailed(ctx, cs, "CreateContainerError", err)
		}
		startedAt = api.Now()
	}
	w.mu.Lock()
	cs.status.State = api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: startedAt}}
	cs.ready = c.ReadinessProbe == nil
	cs.status.Started = ptr(true)
	w.mu.Unlock()
	w.touch()
	if !adopted {
		w.a.event(w.pod, api.EventNormal, "Started", "Started container "+c.Name)
	}

	probeCtx, stopProbes := context.WithCancel(ctx)
	go w.probe(probeCtx, cs, proc)
	var st ExitStatus
	select {
	case <-proc.Done():
		st = proc.Wait()
	case <-ctx.Done():
		stopProbes()
		if w.remove.Load() {
			proc.Kill()
		} else {
			proc.Leave() // the agent stops, not the pod
		}
		proc.Wait()
		return ExitStatus{}, false
	}
	stopProbes()
	w.mu.Lock()
	cs.ready = false
	cs.status.State = api.ContainerState{Terminated: &api.ContainerStateTerminated{
		ExitCode: int32(st.Code), Reason: st.Reason, Message: st.Message, StartedAt: startedAt, FinishedAt: api.Now(),
	}}
	w.mu.Unlock()
	w.touch()
	if st.Reason == "OOMKilled" {
		w.a.event(w.pod, api.EventWarning, "OOMKilled", fmt.Sprintf("Container %s went over its memory limit", c.Name))
	}
	return st, true
}

// adopt takes over container cs when its sandbox kept it running through an agent restart: only
// for the first run of the worker, before any restart of its own.
func (w *podWorker) adopt(ctx context.Context, sb Sandbox, cs *containerState, spec ContainerSpec) (Process, api.Time, bool) {
	ad, ok := sb.(Adopter)
	w.mu.Lock()
	first := cs.status.State.Running == nil && cs.status.State.Terminated == nil && cs.status.LastState.Terminated == nil
	w.mu.Unlock()
	if !ok || !first {
		return nil, api.Time{}, false
	}
	proc, started, ok := ad.Adopt(ctx, spec)
	if !ok {
		return nil, api.Time{}, false
	}
	w.a.log.Info("container adopted", "pod", w.pod.Namespace+"/"+w.pod.Name, "container", spec.Name, "started", started)
	return proc, w.reportedStart(spec.Name, started), true
}

// reportedStart is when the pod's status says container name started, if it says it runs and
// within a few seconds of started (the runtime's own clock of the same start), so that the
// status does not change at an agent restart; else started.
func (w *podWorker) reportedStart(name string, started time.Time) api.Time {
	for _, st := range w.pod.Status.ContainerStatuses {
		if r := st.State.Running; st.Name == name && r != nil && r.StartedAt.Sub(started).Abs() < 5*time.Second {
			return r.StartedAt
		}
	}
	return api.NewTime(started)
}

// startFailed records a container that could not start as waiting, and counts it as an exit 128.
func (w *podWorker) startFailed(ctx context.Context, cs *containerState, reason string, err error) (ExitStatus, bool) {
	w.mu.Lock()
	cs.status.State = api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: reason, Message: err.Error()}}
	w.mu.Unlock()
	w.touch()
	w.a.event(w.pod, api.EventWarning, "Failed", err.Error())
	if ctx.Err() != nil {
		return ExitStatus{}, false
	}
	return ExitStatus{Code: 128, Reason: reason, Message: err.Error()}, true
}

func shouldRestart(policy string, code int) bool {
	switch policy {
	case api.RestartNever:
		return false
	case api.RestartOnFailure:
		return code != 0
	}
	return true
}

func mounts(vms []api.VolumeMount) []Mount {
	out := make([]Mount, len(vms))
	for i, m := range vms {
		out[i] = Mount{Volume: m.Name, Path: m.MountPath, ReadOnly: m.ReadOnly}
	}
	return out
}

// cpuLimit is the container's limits.cpu in millicpu, 0 for none.
func cpuLimit(c api.Container) int64 {
	if q, ok := c.Resources.Limits["cpu"]; ok {
		return q.MilliValue()
	}
	return 0
}

// memoryLimit is the container's limits.memory in bytes, 0 for none.
func memoryLimit(c api.Container) int64 {
	if q, ok := c.Resources.Limits["memory"]; ok {
		return q.Value()
	}
	return 0
}

func ptr[T any](v T) *T { return &v }
