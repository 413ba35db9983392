package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/samples/build"
)

const tutorialManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 2
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: hello
        image: ./hello.wasm
        env: [{name: PORT, value: "%[1]s"}]
        ports: [{containerPort: %[1]s, name: web}]
        readinessProbe:
          httpGet: {path: /health, port: %[1]s}
---
apiVersion: v1
kind: Pod
metadata:
  name: unready
  labels: {app: hello}
spec:
  containers:
  - name: hello
    image: ./hello.wasm
    env: [{name: PORT, value: "%[1]s"}]
    ports: [{containerPort: %[1]s, name: web}]
    readinessProbe:
      httpGet: {path: /health, port: 1}
---
apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  type: NodePort
  selector: {app: hello}
  ports:
  - port: 80
    targetPort: web
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: hello
spec:
  rules:
  - host: hello.test
    http:
      paths:
      - path: /api
        pathType: Prefix
        backend:
          service:
            name: hello
            port: {number: 80}
`

// get fetches url with an optional Host header and returns the status and body.
func get(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServices is the walkthrough of Kubernetes' Service tutorial on `wk up --nodes 3`: a Service in
// front of two hello replicas answers by name from inside a pod, over both replicas, never from a
// pod that is not Ready; a NodePort and an Ingress answer at every node's address; deleting a pod
// under 200 requests/s loses no request.
func TestServices(t *testing.T) {
	bin := wkBin(t)
	dir := t.TempDir()
	ingress := freePort(t)
	c, _ := startCluster(t, bin, dir, 3, "--ingress-addr", "127.0.0.1:"+ingress)
	port := freePort(t)
	os.WriteFile(filepath.Join(dir, "hello.wasm"), build.Go(t, "samples/hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(fmt.Sprintf(tutorialManifest, port)), 0o644)
	c.run(t, bin, "apply", "-f", filepath.Join(dir, "app.yaml"))
	waitFor(t, 40*time.Second, "2 ready endpoints", func() bool {
		out, _ := exec.Command(bin, "--config", c.config, "get", "endpoints", "hello").Output() // NotFound until the controller writes it
		return strings.Count(string(out), ":"+port) == 2
	})

	var svc struct {
		Spec struct {
			ClusterIP string
			Ports     []struct{ NodePort int }
		}
	}
	json.Unmarshal([]byte(c.run(t, bin, "get", "svc", "hello", "-o", "json")), &svc)
	pods := strings.Fields(c.run(t, bin, "get", "pods", "-l", "app=hello", "-o", "name"))
	client := ""
	for _, p := range pods {
		if p != "pod/unready" {
			client = strings.TrimPrefix(p, "pod/")
		}
	}
	if out := c.run(t, bin, "exec", client, "--", "nslookup", "hello"); !strings.Contains(out, svc.Spec.ClusterIP) {
		t.Fatalf("nslookup hello does not print the ClusterIP %s:\n%s", svc.Spec.ClusterIP, out)
	}
	for _, url := range []string{"http://hello/health", "http://hello.default.svc.cluster.local:80/health"} {
		if out := c.run(t, bin, "exec", client, "--", "curl", "-s", url); strings.TrimSpace(out) != "ok" {
			t.Fatalf("curl %s from a pod: %q", url, out)
		}
	}
	answered := map[string]int{}
	for range 20 {
		answered[strings.TrimSpace(c.run(t, bin, "exec", client, "--", "curl", "-s", "http://hello/"))]++
	}
	if len(answered) != 2 {
		t.Fatalf("20 requests to http://hello/ were answered by %v, want both replicas", answered)
	}
	for who := range answered {
		if strings.Contains(who, "unready") {
			t.Fatalf("a pod that is not Ready answered: %v", answered)
		}
	}

	nodePort := svc.Spec.Ports[0].NodePort
	for _, ip := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		if code, body := get(t, fmt.Sprintf("http://%s:%d/", ip, nodePort), ""); code != 200 || !strings.HasPrefix(body, "Hello from hello-") {
			t.Fatalf("NodePort at %s: %d %q", ip, code, body)
		}
		if code, body := get(t, fmt.Sprintf("http://%s:%s/api/x", ip, ingress), "hello.test"); code != 200 || !strings.HasPrefix(body, "Hello from hello-") {
			t.Fatalf("Ingress at %s: %d %q", ip, code, body)
		}
		if code, body := get(t, fmt.Sprintf("http://%s:%s/api/x", ip, ingress), "unknown.test"); code != 404 {
			t.Fatalf("Ingress at %s for an unknown host: %d %q, want 404", ip, code, body)
		}
	}

	// 200 requests/s through the NodePort while one replica is deleted.
	var mu sync.Mutex
	var sent, failed int
	var firstErr error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", nodePort))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			mu.Lock()
			sent++
			if err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
			}
			mu.Unlock()
		}
	}()
	time.Sleep(time.Second)
	c.run(t, bin, "delete", "pod", client)
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("%d requests through the NodePort while a replica was deleted, %d failed", sent, failed)
	if failed > 0 {
		t.Fatalf("%d of %d requests failed while a replica was deleted; first: %v", failed, sent, firstErr)
	}
}
