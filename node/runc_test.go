package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/controltest"
	"github.com/wk-project/wk/node/runc"
	"github.com/wk-project/wk/node/runc/runctest"
)

// runcTestCIDR is the pod CIDR of the runc tests' node: away from the /24s that the control plane
// hands out first, which other packages' tests on this machine use at the same time.
const runcTestCIDR = "10.88.240.0/24"

// startRuncNode starts a control plane and an agent offering runc, whose Node is made beforehand
// with runcTestCIDR. The agent can be stopped and started again on the same data dir.
func startRuncNode(t *testing.T) *linkedNode {
	t.Helper()
	runctest.Require(t)
	_, c := controltest.Start(t, control.Config{})
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: "runc-a"}, Spec: api.NodeSpec{PodCIDR: runcTestCIDR, PodCIDRs: []string{runcTestCIDR}}}
	if _, err := c.Create(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.Runc = "runc-a", t.TempDir(), true
	// A device of its own: an agent takes off the ClusterIPs its cluster does not know, and tests of
	// other packages run clusters on this machine at the same time.
	cfg.ServiceDevice = runctest.ServiceDevice(t)
	log := &testWriter{t: t}
	t.Cleanup(log.close)
	cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ln := &linkedNode{testNode: &testNode{client: c, name: cfg.Name}, cfg: cfg, agentAPI: c}
	ln.startAgent(t)
	t.Cleanup(func() {
		// What a failed test leaves behind: the pods' containers and namespaces.
		ln.stopAgent()
		runctest.RemoveLeftovers(t, cfg.DataDir)
	})
	return ln
}

// httpdImage is busybox's httpd serving /www, which says which pod answers, after a line on
// stdout.
func httpdImage(t *testing.T) v1.Image {
	return runctest.Image(t, map[string]string{
		"/www/index.html": "runc\n",
		"/start.sh":       "#!/bin/sh\necho \"httpd starting in $(hostname)\"\nhostname > /www/name\nexec httpd -f -v -p 8080 -h /www\n",
	}, v1.Config{Entrypoint: []string{"/start.sh"}, Env: []string{"PATH=/bin"}})
}

func TestRuncPodServesLogsAndExecs(t *testing.T) {
	n := startRuncNode(t)
	image := runctest.Layout(t, httpdImage(t), "v1")
	n.run(t, "web", "", api.Container{Name: "web", Image: image, Ports: []api.ContainerPort{{ContainerPort: 8080}},
		ReadinessProbe: &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/index.html", Port: api.FromInt(8080)}}}})
	p := n.waitPod(t, "web", "Ready", ready)
	code, body := httpGet(t, "http://"+p.Status.PodIP+":8080/name")
	if code != http.StatusOK || strings.TrimSpace(body) != "web" {
		t.Fatalf("GET the pod's /name: %d %q; want the pod's name", code, body)
	}
	if logs := n.logs(t, "web", "web"); !strings.Contains(logs, "httpd starting in web") {
		t.Fatalf("logs: %q", logs)
	}
	if code, out, errs := n.exec(t, "web", "", "cat", "/etc/hostname"); code != 0 || strings.TrimSpace(out) != "web" {
		t.Fatalf("exec cat /etc/hostname: %d %q %q", code, out, errs)
	}
	if code, _, _ := n.exec(t, "web", "", "sh", "-c", "exit 7"); code != 7 {
		t.Fatalf("exec exit 7: code %d", code)
	}
	// The container's writes stay in its own layer, not in the image's cached rootfs.
	if code, _, errs := n.exec(t, "web", "", "sh", "-c", "echo changed > /www/index.html"); code != 0 {
		t.Fatalf("write in the container: %d %s", code, errs)
	}
	n.run(t, "web2", "", api.Container{Name: "web", Image: image, Ports: []api.ContainerPort{{ContainerPort: 8080}}})
	p2 := n.waitPod(t, "web2", "Running", running)
	eventually(t, 10*time.Second, "web2 serves the image's index.html", func() (bool, string) {
		resp, err := http.Get("http://" + p2.Status.PodIP + ":8080/index.html")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		b := make([]byte, 64)
		k, _ := resp.Body.Read(b)
		return string(b[:k]) == "runc\n", string(b[:k])
	})
}

func TestRuncLimitsPoliciesAndStop(t *testing.T) {
	n := startRuncNode(t)
	image := runctest.Archive(t, runctest.Image(t, nil, v1.Config{Cmd: []string{"sh"}}), "v1")
	sh := func(script string) api.Container {
		return api.Container{Name: "c", Image: image, Command: []string{"sh", "-c", script}}
	}
	hog := sh("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}")
	hog.Resources.Limits = api.ResourceList{"memory": api.MustParseQuantity("32Mi")}
	n.run(t, "hog", api.RestartNever, hog)
	n.run(t, "fails", api.RestartOnFailure, sh("echo run; exit 3"))
	n.run(t, "once", api.RestartNever, sh("exit 3"))
	n.run(t, "done", api.RestartOnFailure, sh("exit 0"))

	terminated := func(p *api.Pod) *api.ContainerStateTerminated {
		if len(p.Status.ContainerStatuses) == 0 {
			return nil
		}
		return p.Status.ContainerStatuses[0].State.Terminated
	}
	p := n.waitPod(t, "hog", "terminated", func(p *api.Pod) bool { return terminated(p) != nil })
	if st := terminated(p); st.Reason != "OOMKilled" || p.Status.Phase != api.PodFailed {
		t.Fatalf("the pod over its memory limit: %+v, phase %s; want OOMKilled, Failed", st, p.Status.Phase)
	}
	n.waitPod(t, "fails", "restarted twice", func(p *api.Pod) bool { return restarts(p.Status) >= 2 })
	p = n.waitPod(t, "once", "Failed", func(p *api.Pod) bool { return p.Status.Phase == api.PodFailed })
	if st := terminated(p); st == nil || st.ExitCode != 3 || restarts(p.Status) != 0 {
		t.Fatalf("restartPolicy Never, exit 3: %+v, %d restarts", st, restarts(p.Status))
	}
	n.waitPod(t, "done", "Succeeded", func(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded })

	// busybox sleep as pid 1 ignores SIGTERM: the container goes at the end of its grace period.
	grace := int64(2)
	sleeper := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "sleeper", Namespace: "default"}, Spec: api.PodSpec{
		NodeName: n.name, TerminationGracePeriodSeconds: &grace, Containers: []api.Container{sh("exec sleep 1000")}}}
	if _, err := n.client.Create(context.Background(), sleeper); err != nil {
		t.Fatal(err)
	}
	p = n.waitPod(t, "sleeper", "Running", running)
	id := "wk-" + p.UID + "-c"
	rt := n.agent.runc.rt
	deleted := time.Now()
	n.delete(t, "sleeper")
	eventually(t, 20*time.Second, "the container is gone", func() (bool, string) {
		_, err := rt.State(context.Background(), id)
		return err != nil, "still there"
	})
	if took := time.Since(deleted); took > time.Duration(grace)*time.Second+3*time.Second {
		t.Fatalf("the container stopped %s after the delete; its grace period is %ds", took, grace)
	}
}

func TestRestartedAgentAdoptsRuncContainers(t *testing.T) {
	n := startRuncNode(t)
	image := runctest.Layout(t, httpdImage(t), "v1")
	grace := int64(1)
	web := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"}, Spec: api.PodSpec{
		NodeName: n.name, TerminationGracePeriodSeconds: &grace,
		Containers: []api.Container{{Name: "web", Image: image, Ports: []api.ContainerPort{{ContainerPort: 8080}}}}}}
	if _, err := n.client.Create(context.Background(), web); err != nil {
		t.Fatal(err)
	}
	p := n.waitPod(t, "web", "Running", running)
	rt := n.agent.runc.rt
	id := "wk-" + p.UID + "-web"
	before, err := rt.State(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n.stopAgent()
	if st, err := rt.State(context.Background(), id); err != nil || st.Status != runc.StatusRunning || st.Pid != before.Pid {
		t.Fatalf("after the agent stopped: %+v, %v; want the same container running", st, err)
	}
	code, _ := httpGet(t, "http://"+p.Status.PodIP+":8080/index.html")
	if code != http.StatusOK {
		t.Fatalf("the pod does not serve while the agent is down: %d", code)
	}
	// A pod made while the agent is away competes for addresses with the adopted one.
	n.run(t, "newcomer", "", api.Container{Name: "web", Image: image, Ports: []api.ContainerPort{{ContainerPort: 8080}}})
	n.startAgent(t)
	if p3 := n.waitPod(t, "newcomer", "Running", running); p3.Status.PodIP == p.Status.PodIP {
		t.Fatalf("the new pod got the adopted pod's IP %s", p3.Status.PodIP)
	}
	after, err := rt.State(context.Background(), id)
	if err != nil || after.Pid != before.Pid {
		t.Fatalf("after the agent restarted: %+v, %v; want pid %d still", after, err, before.Pid)
	}
	p2 := n.waitPod(t, "web", "Running", running)
	if restarts(p2.Status) != 0 || !startedAt(p2.Status).Equal(startedAt(p.Status).Time) || p2.Status.PodIP != p.Status.PodIP {
		t.Fatalf("status after the agent restarted: %+v; before: %+v", p2.Status, p.Status)
	}
	// The adopted container is still the pod's: deleting the pod stops it.
	n.delete(t, "web")
	eventually(t, 20*time.Second, "the adopted container is gone", func() (bool, string) {
		_, err := rt.State(context.Background(), id)
		return err != nil, "still there"
	})
}

// TestRuncImageForms runs the same Linux image from a registry (go-containerregistry's, in this
// process), a docker-archive, an OCI layout and an oci-archive.
func TestRuncImageForms(t *testing.T) {
	n := startRuncNode(t)
	img := runctest.Image(t, map[string]string{"/hello.txt": "hello from the image\n"}, v1.Config{Cmd: []string{"cat", "/hello.txt"}})
	forms := map[string]string{
		"registry":       runctest.Registry(t, img, "tests/hello:v1"),
		"docker-archive": runctest.DockerArchive(t, img, "tests/hello:v1"),
		"oci":            runctest.Layout(t, img, "v1"),
		"oci-archive":    runctest.Archive(t, img, "v1"),
	}
	for form, image := range forms {
		n.run(t, form, api.RestartNever, api.Container{Name: "c", Image: image})
	}
	for form, image := range forms {
		p := n.waitPod(t, form, "Succeeded", func(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed })
		if p.Status.Phase != api.PodSucceeded {
			t.Fatalf("%s (%s): %+v", form, image, p.Status)
		}
		if logs := n.logs(t, form, "c"); logs != "hello from the image\n" {
			t.Fatalf("%s: logs %q", form, logs)
		}
	}
}

// TestPodDeletedWhileAgentAwayIsRemoved deletes a runc pod while its agent is stopped: the next
// agent removes its container and network namespace.
func TestPodDeletedWhileAgentAwayIsRemoved(t *testing.T) {
	n := startRuncNode(t)
	image := runctest.Layout(t, runctest.Image(t, nil, v1.Config{Cmd: []string{"sleep", "1000"}}), "v1")
	n.run(t, "gone", "", api.Container{Name: "c", Image: image})
	p := n.waitPod(t, "gone", "Running", running)
	n.stopAgent()
	n.delete(t, "gone")
	n.startAgent(t)
	rt := &runc.Runtime{Root: filepath.Join(n.cfg.DataDir, "runc", "state")}
	eventually(t, 20*time.Second, "the container and the namespace are gone", func() (bool, string) {
		_, err := rt.State(context.Background(), "wk-"+p.UID+"-c")
		_, nserr := os.Stat("/run/netns/wk-" + p.UID)
		return err != nil && os.IsNotExist(nserr), fmt.Sprintf("container: %v, netns: %v", err, nserr)
	})
}
