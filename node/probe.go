package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/wk-project/wk/control/api"
)

// probe runs a container's readiness and liveness probes until ctx ends. Until a probe first
// succeeds it is retried after 10 ms, then twice as long each time up to 200 ms (at most
// periodSeconds), so a pod turns Ready as soon as it answers rather than a whole period later; then
// every periodSeconds, as in Kubernetes.
// A liveness failure past failureThreshold kills the container, which the restart policy restarts.
func (w *podWorker) probe(ctx context.Context, cs *containerState, proc Process) {
	if rp := cs.spec.ReadinessProbe; rp != nil {
		go w.runProbe(ctx, cs.spec.Name, rp, func(ok bool) {
			w.mu.Lock()
			changed := cs.ready != ok
			cs.ready = ok
			w.mu.Unlock()
			if changed {
				w.touch()
			}
		})
	}
	if lp := cs.spec.LivenessProbe; lp != nil {
		go w.runProbe(ctx, cs.spec.Name, lp, func(ok bool) {
			if !ok {
				w.a.event(w.pod, api.EventNormal, "Killing", fmt.Sprintf("Container %s failed liveness probe, will be restarted", cs.spec.Name))
				proc.Kill()
			}
		})
	}
}

// runProbe calls report with the probe's verdict each time it changes by the thresholds.
func (w *podWorker) runProbe(ctx context.Context, container string, p *api.Probe, report func(bool)) {
	if !sleepCtx(ctx, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return
	}
	period := time.Duration(max(p.PeriodSeconds, 1)) * time.Second
	success, failure := int(max(p.SuccessThreshold, 1)), int(max(p.FailureThreshold, 1))
	everOK := false
	okRun, failRun := 0, 0
	eager := 10 * time.Millisecond // the wait before the next try, until the first success
	for {
		err := w.check(ctx, container, p)
		if err == nil {
			okRun, failRun = okRun+1, 0
			if okRun >= success {
				everOK = true
				report(true)
			}
		} else {
			okRun, failRun = 0, failRun+1
			if failRun >= failure && everOK {
				w.a.event(w.pod, api.EventWarning, "Unhealthy", "Probe failed: "+err.Error())
				report(false)
			}
		}
		wait := period
		if !everOK {
			wait = min(period, eager)
			eager = min(eager*2, 200*time.Millisecond)
		}
		if !sleepCtx(ctx, wait) {
			return
		}
	}
}

// check runs one probe: httpGet and tcpSocket against the pod's address, exec through the
// toolbox beside the container (exit 0 passes).
func (w *podWorker) check(ctx context.Context, container string, p *api.Probe) error {
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w.mu.Lock()
	host := w.addr.String()
	w.mu.Unlock()
	switch {
	case p.HTTPGet != nil:
		g := p.HTTPGet
		port, err := w.resolvePort(g.Port)
		if err != nil {
			return err
		}
		scheme := "http"
		if g.Scheme == "HTTPS" {
			scheme = "https"
		}
		url := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + g.Path
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for _, h := range g.HTTPHeaders {
			req.Header.Set(h.Name, h.Value)
		}
		resp, err := probeClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return nil
	case p.Exec != nil:
		code, err := w.exec(ctx, container, p.Exec.Command, nil, io.Discard, io.Discard)
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("command %q exited with %d", p.Exec.Command, code)
		}
		return nil
	case p.TCPSocket != nil:
		port, err := w.resolvePort(p.TCPSocket.Port)
		if err != nil {
			return err
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return c.Close()
	}
	return nil
}

var probeClient = &http.Client{
	Transport:     &http.Transport{DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// resolvePort turns a port number or a named container port into a number.
func (w *podWorker) resolvePort(p api.IntOrString) (int, error) {
	if !p.IsString {
		return int(p.IntVal), nil
	}
	for _, c := range w.pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == p.StrVal {
				return int(cp.ContainerPort), nil
			}
		}
	}
	return 0, fmt.Errorf("port %q is not a named port of the pod", p.StrVal)
}
