package node

import (
	"context"

	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controltest"
	"github.com/wk-project/wk/samples/build"
)

// guest builds (once) the Go wasip1 program in pkg, a path relative to the repository root.
func guest(t *testing.T, pkg string) []byte { return build.Go(t, pkg) }

// node is a control plane and one agent, in process, on 127.0.0.1.
type testNode struct {
	client *client.Client
	agent  *Agent
	name   string
}

func startNode(t *testing.T) *testNode { return startNodeWith(t, nil) }

// startNodeWith starts a node whose agent Config edit changes first.
func startNodeWith(t *testing.T, edit func(*Config)) *testNode {
	t.Helper()
	_, c := controltest.Start(t, control.Config{})
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir = "node-a", t.TempDir()
	if edit != nil {
		edit(&cfg)
	}
	a := New(cfg, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &testNode{client: c, agent: a, name: cfg.Name}
}

// image uploads a module and returns the image name a pod uses for it.
func (n *testNode) image(t *testing.T, wasm []byte) string {
	t.Helper()
	d, err := n.client.PutBlob(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// run creates a pod bound to the node with one container per spec.
func (n *testNode) run(t *testing.T, name, policy string, containers ...api.Container) {
	t.Helper()
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PodSpec{NodeName: n.name, RestartPolicy: policy, Containers: containers}}
	if _, err := n.client.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// waitPod polls the pod until ok holds, failing with the last state after a generous bound.
func (n *testNode) waitPod(t *testing.T, name, what string, ok func(*api.Pod) bool) *api.Pod {
	t.Helper()
	pods, _ := api.ResourceFor("pods")
	var last *api.Pod
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		obj, err := n.client.Get(context.Background(), pods, "default", name)
		if err == nil {
			last = obj.(*api.Pod)
			if ok(last) {
				return last
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("pod %s never %s; last status: %+v", name, what, last.Status)
	return nil
}

func (n *testNode) get(t *testing.T, name string) *api.Pod {
	t.Helper()
	pods, _ := api.ResourceFor("pods")
	obj, err := n.client.Get(context.Background(), pods, "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*api.Pod)
}

func ready(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady && c.Status == api.ConditionTrue {
			return true
		}
	}
	return false
}

func (n *testNode) logs(t *testing.T, pod, container string) string {
	t.Helper()
	rc, err := n.client.Logs(context.Background(), "default", pod, client.LogOptions{Container: container, TailLines: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHelloPodRunsAndServes(t *testing.T) {
	n := startNode(t)
	hello := n.image(t, guest(t, "samples/hello"))
	n.run(t, "hello", "", api.Container{Name: "hello", Image: hello,
		Ports:          []api.ContainerPort{{ContainerPort: 9876}},
		ReadinessProbe: &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/health", Port: api.FromInt(9876)}}}})
	p := n.waitPod(t, "hello", "Ready", ready)
	if p.Status.Phase != api.PodRunning || !strings.HasPrefix(p.Status.PodIP, "10.88.") {
		t.Fatalf("phase %s podIP %s", p.Status.Phase, p.Status.PodIP)
	}
	local := "127" + strings.TrimPrefix(p.Status.PodIP, "10")
	if code, body := httpGet(t, "http://"+local+":9876/health"); code != 200 || body != "ok\n" {
		t.Fatalf("GET /health: %d %q", code, body)
	}
	if logs := n.logs(t, "hello", ""); !strings.Contains(logs, "hello listening on :9876 in pod hello") {
		t.Fatalf("logs: %q", logs)
	}

	// The client sample reaches hello by its pod IP, through /net.
	n.run(t, "client", "", api.Container{Name: "client", Image: n.image(t, guest(t, "samples/client")),
		Args: []string{"http://" + p.Status.PodIP + ":9876/", "200ms"}})
	n.waitPod(t, "client", "reached hello", func(*api.Pod) bool {
		logs, err := n.client.Logs(context.Background(), "default", "client", client.LogOptions{TailLines: -1})
		if err != nil {
			return false
		}
		defer logs.Close()
		b, _ := io.ReadAll(logs)
		return strings.Contains(string(b), "200 Hello from hello")
	})
}

func TestTwoModulesShareAVolume(t *testing.T) {
	n := startNode(t)
	img := n.image(t, guest(t, "samples/shared"))
	vm := []api.VolumeMount{{Name: "data", MountPath: "/data"}}
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "shared", Namespace: "default"}, Spec: api.PodSpec{
		NodeName: n.name,
		Volumes:  []api.Volume{{Name: "data", EmptyDir: &api.EmptyDirVolumeSource{}}},
		Containers: []api.Container{
			{Name: "writer", Image: img, Args: []string{"write", "/data/index.html"}, VolumeMounts: vm},
			{Name: "server", Image: img, Args: []string{"serve", "/data"}, VolumeMounts: vm, Ports: []api.ContainerPort{{ContainerPort: 8080}}},
		}}}
	if _, err := n.client.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	got := n.waitPod(t, "shared", "Running", func(p *api.Pod) bool { return ready(p) })
	url := "http://127" + strings.TrimPrefix(got.Status.PodIP, "10") + ":8080/index.html"
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := httpGet(t, url)
		if code == 200 && strings.Contains(body, "written by the writer module") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server module never served the writer's file: %d %q", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRestartPoliciesAndLimits(t *testing.T) {
	n := startNode(t)
	probe := n.image(t, guest(t, "wasmrt/testdata/probe"))

	n.run(t, "crash-always", api.RestartAlways, api.Container{Name: "c", Image: probe, Args: []string{"exit", "3"}})
	n.run(t, "crash-never", api.RestartNever, api.Container{Name: "c", Image: probe, Args: []string{"exit", "3"}})
	n.run(t, "done-onfailure", api.RestartOnFailure, api.Container{Name: "c", Image: probe, Args: []string{"exit", "0"}})
	n.run(t, "oom", api.RestartNever, api.Container{Name: "c", Image: probe, Args: []string{"oom"},
		Resources: api.ResourceRequirements{Limits: api.ResourceList{"memory": api.MustParseQuantity("32Mi")}}})

	n.waitPod(t, "crash-always", "restarted with lastState exit code 3", func(p *api.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].RestartCount >= 1 && cs[0].LastState.Terminated != nil && cs[0].LastState.Terminated.ExitCode == 3
	})
	n.waitPod(t, "crash-never", "Failed with exit code 3", func(p *api.Pod) bool {
		cs := p.Status.ContainerStatuses
		return p.Status.Phase == api.PodFailed && len(cs) == 1 && cs[0].State.Terminated != nil && cs[0].State.Terminated.ExitCode == 3 && cs[0].RestartCount == 0
	})
	n.waitPod(t, "done-onfailure", "Succeeded", func(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded })
	n.waitPod(t, "oom", "OOMKilled", func(p *api.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Terminated != nil && cs[0].State.Terminated.Reason == "OOMKilled"
	})
	if logs := n.logs(t, "crash-always", ""); !strings.Contains(logs, "args=c exit 3") {
		t.Fatalf("logs of crash-always: %q", logs)
	}
}

func TestDeletedBusyPodStops(t *testing.T) {
	n := startNode(t)
	probe := n.image(t, guest(t, "wasmrt/testdata/probe"))
	n.run(t, "spin", "", api.Container{Name: "c", Image: probe, Args: []string{"spin"}})
	n.waitPod(t, "spin", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	pods, _ := api.ResourceFor("pods")
	start := time.Now()
	if _, err := n.client.Delete(context.Background(), pods, "default", "spin", nil); err != nil {
		t.Fatal(err)
	}
	for {
		if _, running := n.agent.podDir("default", "spin"); !running {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the deleted pod's busy module kept running")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("busy-looping pod stopped %v after its delete was acknowledged", time.Since(start))
}

// cGuest builds the C sample with clang and wasi-libc.
func cGuest(t *testing.T) []byte { return build.C(t) }

func TestCModuleServes(t *testing.T) {
	n := startNode(t)
	n.run(t, "hello-c", "", api.Container{Name: "hello-c", Image: n.image(t, cGuest(t)),
		Ports:          []api.ContainerPort{{ContainerPort: 8080}},
		Resources:      api.ResourceRequirements{Limits: api.ResourceList{"memory": api.MustParseQuantity("4Mi")}},
		ReadinessProbe: &api.Probe{ProbeHandler: api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(8080)}}}})
	p := n.waitPod(t, "hello-c", "Ready", ready)
	code, body := httpGet(t, "http://127"+strings.TrimPrefix(p.Status.PodIP, "10")+":8080/")
	if code != 200 || body != "Hello from hello-c (C)\n" {
		t.Fatalf("GET /: %d %q", code, body)
	}
}

func (n *testNode) exec(t *testing.T, pod, container string, cmd ...string) (int, string, string) {
	t.Helper()
	var out, errs strings.Builder
	code, err := n.client.Exec(context.Background(), "default", pod, client.ExecOptions{Container: container, Command: cmd, Stdout: &out, Stderr: &errs})
	if err != nil {
		t.Fatalf("exec %v: %v", cmd, err)
	}
	return code, out.String(), errs.String()
}

// withToolbox gives the agent the exec toolbox, built from source.
func withToolbox(t *testing.T) func(*Config) {
	return func(c *Config) { c.Toolbox = build.Go(t, "node/toolbox/guest") }
}

func TestExecProbe(t *testing.T) {
	n := startNodeWith(t, withToolbox(t))
	hello := n.image(t, guest(t, "samples/hello"))
	probe := func(cmd ...string) *api.Probe {
		return &api.Probe{ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: cmd}}}
	}
	n.run(t, "exec-ok", "", api.Container{Name: "hello", Image: hello, Ports: []api.ContainerPort{{ContainerPort: 9876}},
		ReadinessProbe: probe("curl", "-sf", "http://localhost:9876/health")})
	n.run(t, "exec-fails", "", api.Container{Name: "hello", Image: hello, Ports: []api.ContainerPort{{ContainerPort: 9876}},
		ReadinessProbe: probe("cat", "/nonexistent")})
	n.waitPod(t, "exec-ok", "Ready by its exec probe", ready)
	p := n.waitPod(t, "exec-fails", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	time.Sleep(time.Second)
	if ready(n.get(t, p.Name)) {
		t.Fatal("a pod whose exec probe fails is Ready")
	}
}

func TestExecRunsTheToolboxInThePod(t *testing.T) {
	n := startNodeWith(t, withToolbox(t))
	hello := n.image(t, guest(t, "samples/hello"))
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default"}, Spec: api.PodSpec{
		NodeName: n.name,
		Volumes:  []api.Volume{{Name: "data", EmptyDir: &api.EmptyDirVolumeSource{}}},
		Containers: []api.Container{{Name: "hello", Image: hello, Ports: []api.ContainerPort{{ContainerPort: 9876}},
			Env:            []api.EnvVar{{Name: "GREETING", Value: "hi"}},
			VolumeMounts:   []api.VolumeMount{{Name: "data", MountPath: "/data"}},
			ReadinessProbe: &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/health", Port: api.FromInt(9876)}}}}},
	}}
	if _, err := n.client.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	n.waitPod(t, "hello", "Ready", ready)
	tests := []struct {
		name     string
		cmd      []string
		wantCode int
		wantOut  string
	}{
		{"curl the pod's own port", []string{"curl", "-s", "-w", " %{http_code}", "http://localhost:9876/health"}, 0, "ok\n 200"},
		{"the container's env", []string{"env"}, 0, "GREETING=hi"},
		{"write then read a volume", []string{"touch", "/data/x"}, 0, ""},
		{"list the volume", []string{"ls", "/data"}, 0, "x"},
		{"curl's exit status passes through", []string{"curl", "-s", "http://localhost:1/"}, 7, ""},
		{"a failing command", []string{"cat", "/data/missing"}, 1, ""},
		{"nslookup localhost", []string{"nslookup", "localhost"}, 0, "Address: 127.88."},
		{"unknown command", []string{"bash"}, 127, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := n.exec(t, "hello", "", tt.cmd...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errs, tt.wantCode, tt.wantOut)
			}
		})
	}
}
