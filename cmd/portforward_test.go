package cmd

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/controltest"
	"github.com/wk-project/wk/node"
	"github.com/wk-project/wk/samples/build"
)

// lockedBuffer is a bytes.Buffer that a running command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// helloNode is a control plane and one agent in process, running the hello sample as the pod
// "hello" (labels app=hello, port 9876 named http) behind the Service "hello" (port 80 -> http).
func helloNode(t *testing.T) *cluster {
	t.Helper()
	srv, c := controltest.Start(t, control.Config{})
	ncfg := node.DefaultConfig()
	ncfg.Name, ncfg.DataDir = "node-a", t.TempDir()
	agent := node.New(ncfg, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); agent.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	image, err := c.PutBlob(ctx, build.Go(t, "samples/hello"))
	if err != nil {
		t.Fatal(err)
	}
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default", Labels: map[string]string{"app": "hello"}},
		Spec: api.PodSpec{NodeName: ncfg.Name, Containers: []api.Container{{Name: "hello", Image: image,
			Ports:          []api.ContainerPort{{Name: "http", ContainerPort: 9876}},
			ReadinessProbe: &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/health", Port: api.FromInt(9876)}}}}}}}
	svc := &api.Service{ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: api.ServiceSpec{Selector: map[string]string{"app": "hello"}, Ports: []api.ServicePort{{Port: 80, TargetPort: api.FromString("http")}}}}
	for _, obj := range []api.Object{pod, svc} {
		if _, err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	pods, _ := api.ResourceFor("pods")
	waitFor(t, 60*time.Second, "pod hello Ready", func() bool {
		obj, err := c.Get(ctx, pods, "default", "hello")
		return err == nil && podIsReady(obj.(*api.Pod))
	})
	return clusterOf(t, srv)
}

// portForward starts `wk port-forward args...` and returns the local port of each forwarded
// port, read from its "Forwarding from" lines, and its stderr.
func (c *cluster) portForward(t *testing.T, args ...string) ([]string, *lockedBuffer) {
	t.Helper()
	var out, errs lockedBuffer
	root := newRoot(&out, &errs, time.Now)
	root.SetArgs(append([]string{"--config", c.config, "port-forward"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("port-forward: %v", err)
		}
	})
	re := regexp.MustCompile(`(?m)^Forwarding from 127\.0\.0\.1:(\d+) -> \d+$`)
	want := len(args) - 1
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindAllStringSubmatch(out.String(), -1); len(m) == want {
			var ports []string
			for _, s := range m {
				ports = append(ports, s[1])
			}
			return ports, &errs
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("port-forward ended: %v; stdout %q, stderr %q", err, out.String(), errs.String())
		default:
		}
	}
	t.Fatalf("port-forward never said where it listens: %q", out.String())
	return nil, nil
}

func getLocal(t *testing.T, url string) (int, string) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true} // every request is a new forwarded connection
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPortForwardCommand(t *testing.T) {
	c := helloNode(t)
	tests := []struct {
		name string
		args []string
	}{
		{"pod", []string{"hello", "0:9876"}},
		{"pod/NAME and a named port", []string{"pod/hello", ":http"}},
		{"svc/NAME maps the service port to its targetPort", []string{"svc/hello", "0:80"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ports, errs := c.portForward(t, tt.args...)
			for i := range 2 { // a second connection works as the first
				if code, body := getLocal(t, "http://127.0.0.1:"+ports[0]+"/health"); code != 200 || body != "ok\n" {
					t.Fatalf("connection %d: GET /health: %d %q", i+1, code, body)
				}
			}
			if want := strings.Repeat("Handling connection for "+ports[0]+"\n", 2); errs.String() != want {
				t.Fatalf("stderr %q, want %q", errs.String(), want)
			}
		})
	}

	t.Run("two ports, one that nothing listens on", func(t *testing.T) {
		ports, errs := c.portForward(t, "hello", "0:9876", "0:9999")
		if code, _ := getLocal(t, "http://127.0.0.1:"+ports[0]+"/health"); code != 200 {
			t.Fatalf("GET /health: %d", code)
		}
		if _, err := http.Get("http://127.0.0.1:" + ports[1] + "/"); err == nil {
			t.Fatal("a port nothing listens on answered")
		}
		want := "error: an error occurred forwarding " + ports[1] + " -> 9999: error forwarding port 9999 to pod hello"
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(errs.String(), want); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("stderr %q lacks %q", errs.String(), want)
			}
		}
	})
}

func TestPortForwardErrorsReadLikeKubectl(t *testing.T) {
	c := newCluster(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"port-forward", "ghost", "8080:80"}, "Error from server (NotFound): pods \"ghost\" not found\n"},
		{[]string{"port-forward", "svc/ghost", "8080:80"}, "Error from server (NotFound): services \"ghost\" not found\n"},
		{[]string{"port-forward", "ghost", "x:80"}, "error: error parsing local port \"x\": must be a number from 0 to 65535\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errs, code := c.wk(t, "", tt.args...)
			if code == 0 || errs != tt.want {
				t.Fatalf("exit %d, stderr %q, want %q", code, errs, tt.want)
			}
		})
	}
}

func TestParsePortSpecs(t *testing.T) {
	tests := []struct {
		arg     string
		want    portSpec
		wantErr bool
	}{
		{"8080:80", portSpec{8080, "80"}, false},
		{"8080", portSpec{8080, "8080"}, false},
		{":80", portSpec{0, "80"}, false},
		{"0:http", portSpec{0, "http"}, false},
		{"x:80", portSpec{}, true},
		{"8080:", portSpec{}, true},
		{"8080:0", portSpec{}, true},
		{"70000:80", portSpec{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := parsePortSpecs([]string{tt.arg})
			if (err != nil) != tt.wantErr || (err == nil && got[0] != tt.want) {
				t.Fatalf("got %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMostActivePod(t *testing.T) {
	pod := func(name, phase string, ready bool) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name}, Status: api.PodStatus{Phase: phase}}
		if ready {
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}
		}
		return p
	}
	tests := []struct {
		name string
		pods []*api.Pod
		want string
	}{
		{"ready before running", []*api.Pod{pod("a", api.PodRunning, false), pod("b", api.PodRunning, true)}, "b"},
		{"running before pending", []*api.Pod{pod("a", api.PodPending, false), pod("b", api.PodRunning, false)}, "b"},
		{"by name among equals", []*api.Pod{pod("b", api.PodRunning, true), pod("a", api.PodRunning, true)}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mostActivePod(tt.pods).Name; got != tt.want {
				t.Fatalf("picked %s, want %s", got, tt.want)
			}
		})
	}
}
