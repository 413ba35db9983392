package node

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wk-project/wk/control/api"
)

// podWorker runs one pod: it prepares its address, volumes and images, starts its containers,
// restarts them by the pod's policy, probes them, and reports the pod's status.
type podWorker struct {
	a      *Agent
	pod    *api.Pod
	dir    string
	cancel context.CancelFunc
	done   chan struct{}
	remove atomic.Bool // remove the pod's folder once it stops: the pod is no longer bound here

	driver Driver // the pod's runtime's; set by prepare

	mu         sync.Mutex
	podIP      netip.Addr
	addr       netip.Addr // where the pod's ports listen, once its sandbox is made
	startTime  api.Time
	waiting    string // why the containers have not started yet (ContainerCreating, ErrImagePull...)
	waitMsg    string
	containers []*containerState
	conditions map[string]api.PodCondition
	changed    chan struct{}
	sandbox    Sandbox // once made
	reported   []byte  // the status last written to the API server, as JSON; nil before the first
	serverRev  int64   // the newest revision of the pod seen on the API server (watch, list or a write)
	serverAs   string  // the statusDigest of its status; "" before the first

	rv string // the pod's resourceVersion after the last status write; the report loop's own
}

// containerState is what the worker knows of one container.
type containerState struct {
	spec     api.Container
	status   api.ContainerStatus
	ready    bool // readiness probe (true without one, once running)
	finished bool // ended and will not restart
}

func newPodWorker(a *Agent, pod *api.Pod) *podWorker {
	w := &podWorker{
		a: a, pod: pod, dir: filepath.Join(a.cfg.DataDir, "pods", pod.UID),
		done: make(chan struct{}), waiting: "ContainerCreating", startTime: api.Now(),
		conditions: map[string]api.PodCondition{}, changed: make(chan struct{}, 1),
	}
	for _, c := range pod.Spec.Containers {
		cs := &containerState{spec: c, status: api.ContainerStatus{Name: c.Name, Image: c.Image}}
		// A pod that ran here before this agent started keeps its count, as the kubelet does.
		for _, old := range pod.Status.ContainerStatuses {
			if old.Name == c.Name {
				cs.status.RestartCount = old.RestartCount
			}
		}
		w.containers = append(w.containers, cs)
	}
	return w
}

func (w *podWorker) start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	go w.reportLoop(ctx)
	go func() {
		defer close(w.done)
		w.run(ctx)
	}()
}

// maxDrain bounds how long a deleted pod that serves ports keeps running, so that the node
// proxies, which learn from the pod's Endpoints that it is gone, stop sending it connections
// before it stops (as Kubernetes' endpoint removal comes before the kubelet's SIGTERM).
const maxDrain = time.Second

// retire stops a pod that is no longer wanted, after a drain period for one that serves ports:
// its terminationGracePeriodSeconds, at most maxDrain.
func (w *podWorker) retire() {
	if d := drainPeriod(w.pod); d > 0 {
		select {
		case <-time.After(d):
		case <-w.done:
		}
	}
	w.stop()
}

func drainPeriod(p *api.Pod) time.Duration {
	ports := false
	for _, c := range p.Spec.Containers {
		ports = ports || len(c.Ports) > 0
	}
	if !ports {
		return 0
	}
	d := maxDrain
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < d {
		d = time.Duration(*g) * time.Second
	}
	return d
}

// stop kills the pod's containers, waits until they are gone and removes the pod's folder.
func (w *podWorker) stop() {
	w.remove.Store(true)
	w.halt()
}

// halt kills the pod's containers and waits until they are gone, keeping the pod's folder (its
// volumes and logs) for the next agent on this data dir: the agent is stopping, not the pod.
func (w *podWorker) halt() {
	w.cancel()
	<-w.done
}

func (w *podWorker) run(ctx context.Context) {
	w.a.trackPod(w, true)
	defer w.a.trackPod(w, false)
	defer func() {
		if w.remove.Load() {
			os.RemoveAll(w.dir)
		}
	}()
	defer w.a.ipam.release(w.pod.UID)
	prev, _ := netip.ParseAddr(w.pod.Status.PodIP)
	ip, err := w.a.ipam.allocate(w.pod.UID, prev)
	if err != nil {
		w.setWaiting("CreatePodSandboxError", err.Error())
		return
	}
	w.mu.Lock()
	w.podIP = ip
	w.mu.Unlock()
	w.touch()

	vols, ids, ok := w.prepare(ctx)
	if !ok {
		return
	}
	sb, ok := w.newSandbox(ctx, SandboxSpec{Pod: w.pod, IP: ip, Dir: w.dir, Volumes: vols})
	if !ok {
		return
	}
	defer w.closeSandbox(sb)
	w.mu.Lock()
	w.sandbox, w.addr = sb, sb.Addr()
	w.mu.Unlock()
	w.setWaiting("", "")
	var wg sync.WaitGroup
	for i := range w.containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.runContainer(ctx, sb, i, ids[i])
		}()
	}
	wg.Wait()
	<-ctx.Done()
}

// newSandbox makes the pod's sandbox, retrying with back-off until it succeeds or the pod is
// stopped.
func (w *podWorker) newSandbox(ctx context.Context, spec SandboxSpec) (Sandbox, bool) {
	backoff := time.Second
	for {
		sb, err := w.driver.NewSandbox(ctx, spec)
		if err == nil {
			return sb, true
		}
		w.setWaiting("CreatePodSandboxError", err.Error())
		w.a.event(w.pod, api.EventWarning, "FailedCreatePodSandBox", err.Error())
		if !sleepCtx(ctx, backoff) {
			return nil, false
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// closeSandbox closes the pod's sandbox when the pod stops, and leaves it running when only the
// agent stops and the sandbox can outlive it.
func (w *podWorker) closeSandbox(sb Sandbox) {
	if _, ok := sb.(Adopter); ok && !w.remove.Load() {
		return // the agent stops, not the pod: the next agent adopts it
	}
	if err := sb.Close(); err != nil {
		w.a.log.Warn("pod sandbox not removed", "pod", w.pod.Namespace+"/"+w.pod.Name, "err", err)
	}
}

// prepare makes the volumes and pulls the images, retrying with back-off until it succeeds or the
// pod is stopped.
func (w *podWorker) prepare(ctx context.Context) (map[string]string, []string, bool) {
	backoff := time.Second
	pulled := map[string]bool{}
	for {
		vols, err := w.a.prepareVolumes(ctx, w.pod, w.dir)
		if err == nil {
			ids, err := w.pullImages(ctx, pulled)
			if err == nil {
				return vols, ids, true
			}
			reason := "ErrImagePull"
			var ie *imageError
			if errors.As(err, &ie) {
				reason = ie.reason
			}
			w.setWaiting(reason, err.Error())
			w.a.event(w.pod, api.EventWarning, "Failed", err.Error())
		} else {
			w.setWaiting("CreateContainerConfigError", err.Error())
			w.a.event(w.pod, api.EventWarning, "FailedMount", err.Error())
		}
		if !sleepCtx(ctx, backoff) {
			return nil, nil, false
		}
		backoff = min(backoff*2, maxBackoff)
		w.mu.Lock()
		if w.waiting == "ErrImagePull" {
			w.waiting = "ImagePullBackOff"
		}
		w.mu.Unlock()
	}
}

func (w *podWorker) pullImages(ctx context.Context, pulled map[string]bool) ([]string, error) {
	var known map[string]string // image -> id, pulled while choosing the driver
	if w.driver == nil {
		d, id, err := w.a.driverFor(ctx, w.pod)
		if err != nil {
			return nil, err
		}
		w.driver = d
		if id != "" {
			known = map[string]string{w.containers[0].spec.Image: id}
		}
	}
	ids := make([]string, len(w.containers))
	for i, c := range w.containers {
		image := c.spec.Image
		if !pulled[image] {
			w.a.event(w.pod, api.EventNormal, "Pulling", "Pulling image \""+image+"\"")
		}
		id, ok := known[image]
		if !ok {
			var err error
			if id, err = w.driver.Pull(ctx, w.pod, image); err != nil {
				return nil, err
			}
		}
		if !pulled[image] {
			w.a.event(w.pod, api.EventNormal, "Pulled", "Successfully pulled image \""+image+"\"")
			pulled[image] = true
		}
		ids[i] = id
		w.mu.Lock()
		c.status.ImageID = id
		w.mu.Unlock()
	}
	return ids, nil
}

func (w *podWorker) setWaiting(reason, msg string) {
	w.mu.Lock()
	w.waiting, w.waitMsg = reason, msg
	w.mu.Unlock()
	w.touch()
}

// touch tells the status reporter that something changed.
func (w *podWorker) touch() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// sleepCtx sleeps for d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
