package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controltest"
)

// linkedNode is a control plane and an agent that reaches it through a link the test cuts and
// heals. The agent can be stopped and started again on the same data dir.
type linkedNode struct {
	*testNode
	link      *link
	cfg       Config
	agentAPI  *client.Client // through the link
	stopAgent func()
}

func startLinkedNode(t *testing.T) *linkedNode {
	t.Helper()
	srv, c := controltest.Start(t, control.Config{})
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	l := newLink(t, u.Host)
	acfg := srv.ClientConfig()
	u.Host = l.Addr()
	acfg.Server = u.String()
	ac, err := client.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir = "node-a", t.TempDir()
	cfg.Heartbeat = 500 * time.Millisecond
	log := &testWriter{t: t}
	cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	n := &linkedNode{testNode: &testNode{client: c, name: cfg.Name}, link: l, cfg: cfg, agentAPI: ac}
	t.Cleanup(log.close)
	n.startAgent(t)
	return n
}

// testWriter sends the agent's log to the test's until the test ends.
type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(b)))
	}
	return len(b), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// startAgent starts a new agent on the node's data dir.
func (n *linkedNode) startAgent(t *testing.T) {
	a := New(n.cfg, n.agentAPI)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(ctx)
	}()
	var once sync.Once
	n.agent = a
	n.stopAgent = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(n.stopAgent)
}

// create makes a pod bound to the node that tolerates an unreachable or not-ready node for ever,
// so that however slow the machine, what the test sees is the agent's doing, not evictions.
func (n *linkedNode) create(t *testing.T, name string, c api.Container) *api.Pod {
	t.Helper()
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Spec: api.PodSpec{
		NodeName: n.name, Containers: []api.Container{c},
		Tolerations: []api.Toleration{{Operator: "Exists", Effect: api.TaintNoExecute}},
	}}
	out, err := n.client.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return out.(*api.Pod)
}

func (n *linkedNode) delete(t *testing.T, name string) {
	t.Helper()
	pods, _ := api.ResourceFor("pods")
	if _, err := n.client.Delete(context.Background(), pods, "default", name, nil); err != nil {
		t.Fatal(err)
	}
}

// workers lists the pods the agent runs, by name.
func (n *linkedNode) workers() map[string]*podWorker {
	n.agent.mu.Lock()
	defer n.agent.mu.Unlock()
	out := map[string]*podWorker{}
	for key, w := range n.agent.running {
		out[strings.TrimPrefix(key, "default/")] = w
	}
	return out
}

func names(m map[string]*podWorker) string {
	var s []string
	for name := range m {
		s = append(s, name)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// server is a container of the probe guest that serves HTTP and is ready once it answers.
func server(image string) api.Container {
	return api.Container{Name: "server", Image: image, Args: []string{"serve"}, Ports: []api.ContainerPort{{ContainerPort: 19876}},
		ReadinessProbe: &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/", Port: api.FromInt(19876)}}}}
}

func running(p *api.Pod) bool {
	cs := p.Status.ContainerStatuses
	return len(cs) == 1 && cs[0].State.Running != nil
}

func restarts(st api.PodStatus) int32 {
	if len(st.ContainerStatuses) == 0 {
		return 0
	}
	return st.ContainerStatuses[0].RestartCount
}

// startedAt is when the pod's container last started, as a status says.
func startedAt(st api.PodStatus) api.Time {
	if cs := st.ContainerStatuses; len(cs) == 1 && cs[0].State.Running != nil {
		return cs[0].State.Running.StartedAt
	}
	return api.Time{}
}

// serves checks that a server pod answers on its node-local address.
func serves(t *testing.T, w *podWorker) {
	t.Helper()
	w.mu.Lock()
	addr := localAddr(w.podIP)
	w.mu.Unlock()
	if code, body := httpGet(t, "http://"+addr.String()+":19876/"); code != 200 || !strings.HasPrefix(body, "hello from") {
		t.Fatalf("GET /: %d %q", code, body)
	}
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	defer func(s time.Time) { t.Logf("%s took %v", what, time.Since(s)) }(time.Now())
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v without %s: %s", timeout, what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAgentRidesOutAnAPIOutage cuts the agent off the API server for a few seconds: its pods keep
// running and restarting meanwhile, and once the link heals it catches up with what changed on
// the server and brings the pods' statuses there up to date.
func TestAgentRidesOutAnAPIOutage(t *testing.T) {
	n := startLinkedNode(t)
	probe := n.image(t, guest(t, "wasmrt/testdata/probe"))
	n.create(t, "steady", server(probe))
	n.create(t, "doomed", api.Container{Name: "c", Image: probe, Args: []string{"sleep"}})
	n.waitPod(t, "steady", "Ready", ready)
	n.waitPod(t, "doomed", "Running", running)
	n.create(t, "crash", api.Container{Name: "c", Image: probe, Args: []string{"exit", "3"}})
	n.waitPod(t, "crash", "restarted", func(p *api.Pod) bool { return restarts(p.Status) >= 1 })
	steady := n.workers()["steady"]
	started := startedAt(steady.podStatus())

	n.link.Cut()
	cut := time.Now()
	crashes := restarts(n.workers()["crash"].podStatus())
	n.delete(t, "doomed")
	n.create(t, "newcomer", api.Container{Name: "c", Image: probe, Args: []string{"sleep"}})

	eventually(t, 8*time.Second, "a restart of the crashing pod while the API is away", func() (bool, string) {
		got := restarts(n.workers()["crash"].podStatus())
		return got > crashes, fmt.Sprintf("%d restarts, %d at the cut", got, crashes)
	})
	time.Sleep(time.Until(cut.Add(3 * time.Second)))
	if got := names(n.workers()); got != "crash,doomed,steady" {
		t.Fatalf("while the API is away the agent runs %s, want crash,doomed,steady", got)
	}
	serves(t, steady)
	crashes = restarts(n.workers()["crash"].podStatus())

	n.link.Heal()
	eventually(t, 10*time.Second, "the agent to catch up with the server", func() (bool, string) {
		got := names(n.workers())
		return got == "crash,newcomer,steady", "running " + got
	})
	n.waitPod(t, "newcomer", "Running", running)
	eventually(t, 10*time.Second, "the statuses on the server to be current", func() (bool, string) {
		for _, name := range []string{"steady", "crash"} {
			w, ok := n.workers()[name]
			if !ok {
				return false, name + " is not running"
			}
			server, agent := statusDigest(n.get(t, name).Status), statusDigest(w.podStatus())
			if server != agent {
				return false, fmt.Sprintf("%s: server has %q, agent %q", name, server, agent)
			}
		}
		return true, ""
	})
	if got := restarts(n.get(t, "crash").Status); got < crashes {
		t.Errorf("the server shows %d restarts of crash, the agent had counted %d while away", got, crashes)
	}
	p := n.get(t, "steady")
	if n.workers()["steady"] != steady || !startedAt(p.Status).Equal(started.Time) || restarts(p.Status) != 0 || !ready(p) {
		t.Errorf("steady was restarted or is not ready: started %v (was %v), %d restarts, ready %t",
			startedAt(p.Status), started, restarts(p.Status), ready(p))
	}
	serves(t, steady)

	// What another writer changed (the node lifecycle controller marks the pods of an unreachable
	// node not ready) is written over with the agent's view.
	p.Status.Conditions = append([]api.PodCondition(nil), p.Status.Conditions...)
	for i := range p.Status.Conditions {
		if c := &p.Status.Conditions[i]; c.Type == api.PodReady || c.Type == api.ContainersReady {
			c.Status = api.ConditionFalse
		}
	}
	if _, err := n.client.UpdateStatus(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	n.waitPod(t, "steady", "Ready again", ready)
}

// TestRestartedAgentRunsRecordedPods restarts the agent while the API server is out of reach: it
// runs the pods it recorded, and once the link heals it keeps them (one worker each, not
// restarted) and stops the one deleted meanwhile.
func TestRestartedAgentRunsRecordedPods(t *testing.T) {
	n := startLinkedNode(t)
	probe := n.image(t, guest(t, "wasmrt/testdata/probe"))
	n.create(t, "steady", server(probe))
	n.create(t, "sleeper", api.Container{Name: "c", Image: probe, Args: []string{"sleep"}})
	doomed := n.create(t, "doomed", api.Container{Name: "c", Image: probe, Args: []string{"sleep"}})
	n.waitPod(t, "steady", "Ready", ready)
	n.waitPod(t, "sleeper", "Running", running)
	n.waitPod(t, "doomed", "Running", running)

	n.link.Cut()
	n.stopAgent()
	n.delete(t, "doomed")
	n.startAgent(t)
	var offline map[string]*podWorker
	eventually(t, 10*time.Second, "the restarted agent to run the recorded pods", func() (bool, string) {
		offline = n.workers()
		for name, w := range offline {
			if startedAt(w.podStatus()).IsZero() {
				return false, name + " has not started"
			}
		}
		return names(offline) == "doomed,sleeper,steady", "running " + names(offline)
	})
	serves(t, offline["steady"])

	n.link.Heal()
	eventually(t, 10*time.Second, "the pod deleted meanwhile to stop", func() (bool, string) {
		got := names(n.workers())
		return got == "sleeper,steady", "running " + got
	})
	eventually(t, 10*time.Second, "the server to show the restarted agent's pods", func() (bool, string) {
		for _, name := range []string{"steady", "sleeper"} {
			p := n.get(t, name)
			if want := startedAt(offline[name].podStatus()); !startedAt(p.Status).Equal(want.Time) || !ready(p) {
				return false, fmt.Sprintf("%s started at %v, ready %t; the agent started it at %v", name, startedAt(p.Status), ready(p), want)
			}
		}
		return true, ""
	})
	for name, w := range n.workers() {
		if w != offline[name] || restarts(w.podStatus()) != 0 {
			t.Errorf("%s got a new worker or restarted after the link healed", name)
		}
	}
	serves(t, offline["steady"])
	if _, err := os.Stat(filepath.Join(n.cfg.DataDir, "pods", doomed.UID)); !os.IsNotExist(err) {
		t.Errorf("the deleted pod's folder is still there: %v", err)
	}
}
