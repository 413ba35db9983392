package cmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/wk-project/wk/node/runc/runctest"
	"github.com/wk-project/wk/samples/build"
)

// mixedManifest is a Deployment of busybox's httpd from a Linux image, a wasm hello pod with the
// same label, and one Service over both, on a ClusterIP of its own (tests of other packages on
// this machine serve the first ones).
const mixedManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: mixed}
    spec:
      containers:
      - name: httpd
        image: %[1]s
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: 8080}
---
apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels: {tier: mixed}
spec:
  containers:
  - name: hello
    image: ./hello.wasm
    env: [{name: PORT, value: "8080"}]
    ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: mixed
spec:
  clusterIP: 10.96.0.71
  selector: {tier: mixed}
  ports:
  - port: 80
    targetPort: 8080
`

// TestRuncAndWasmPods runs a Deployment of a Linux image the test builds beside a wasm pod on
// `wk up`: its logs, exec into it, and one Service spreading requests over the runc pod and the
// wasm pod, asked from either kind of pod by name.
func TestRuncAndWasmPods(t *testing.T) {
	runctest.Require(t)
	bin := wkBin(t)
	dir := t.TempDir()
	t.Cleanup(func() { runctest.RemoveLeftovers(t, filepath.Join(dir, "data", "agent")) }) // once wk up stopped
	c, _ := startCluster(t, bin, dir, 1)
	img := runctest.Image(t, map[string]string{
		"/www/index.html": "runc\n",
		"/start.sh":       "#!/bin/sh\necho \"httpd starting in $(hostname)\"\nexec httpd -f -v -p 8080 -h /www\n",
	}, v1.Config{Entrypoint: []string{"/start.sh"}, Env: []string{"PATH=/bin"}})
	image := runctest.Archive(t, img, "v1")
	os.WriteFile(filepath.Join(dir, "hello.wasm"), build.Go(t, "samples/hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(fmt.Sprintf(mixedManifest, image)), 0o644)
	c.run(t, bin, "apply", "-f", filepath.Join(dir, "app.yaml"))
	waitFor(t, 60*time.Second, "2 ready endpoints of mixed", func() bool {
		out, _ := tryRun(bin, c.config, "get", "endpoints", "mixed")
		return strings.Count(out, ":8080") == 2
	})
	// The node proxy binds the ClusterIP once the address is on the service device.
	waitFor(t, 30*time.Second, "a listener on the ClusterIP 10.96.0.71:80", func() bool {
		out, _ := exec.Command("ss", "-Hltn", "src", "10.96.0.71:80").Output()
		return strings.Contains(string(out), "10.96.0.71:80")
	})
	web := strings.TrimPrefix(strings.TrimSpace(c.run(t, bin, "get", "pods", "-l", "app=web", "-o", "name")), "pod/")

	waitFor(t, 10*time.Second, "httpd's line in wk logs", func() bool {
		out, _ := tryRun(bin, c.config, "logs", web)
		return strings.Contains(out, "httpd starting in "+web)
	})
	if out := c.run(t, bin, "exec", web, "--", "cat", "/etc/hostname"); strings.TrimSpace(out) != web {
		t.Fatalf("wk exec %s -- cat /etc/hostname: %q", web, out)
	}

	for _, from := range [][]string{
		{web, "wget", "-qO-", "http://mixed/"},
		{web, "wget", "-qO-", "http://mixed.default.svc.cluster.local/"},
		{"hello", "curl", "-s", "http://mixed/"},
	} {
		answered := map[string]int{}
		for range 16 {
			out := c.run(t, bin, append([]string{"exec", from[0], "--"}, from[1:]...)...)
			switch {
			case strings.TrimSpace(out) == "runc":
				answered["runc"]++
			case strings.HasPrefix(out, "Hello from hello"):
				answered["wasm"]++
			default:
				t.Fatalf("%v answered %q", from, out)
			}
		}
		t.Logf("%v: %v", from, answered)
		if len(answered) != 2 {
			t.Fatalf("16 requests %v were answered by %v, want the runc pod and the wasm pod", from, answered)
		}
	}
}

// tryRun runs a wk client command that may fail yet (an object not written yet, a pod starting).
func tryRun(bin, config string, args ...string) (string, error) {
	out, err := exec.Command(bin, append([]string{"--config", config}, args...)...).Output()
	return string(out), err
}
