package cmd

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wk-project/wk/samples/build"
)

// upCluster is a `wk up --nodes N` child process and what it printed.
type upCluster struct {
	upProcess
	join  string // the join command's --join address
	token string
}

// startCluster runs `wk up --nodes n` and waits until it says every node is Ready.
func startCluster(t *testing.T, bin, dir string, n int, extra ...string) (*upCluster, time.Duration) {
	t.Helper()
	config := filepath.Join(dir, "config")
	args := []string{"--nodes", strconv.Itoa(n), "--data-dir", filepath.Join(dir, "data"), "--api-addr", "127.0.0.1:0",
		"--config", config, "--node-name", "e2e"}
	cmd, join, token, took := launchUp(t, bin, 60*time.Second, append(args, extra...)...)
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGINT); cmd.Wait() })
	return &upCluster{upProcess: upProcess{cmd: cmd, config: config}, join: join, token: token}, took
}

// podsByNode is the Running pods of app=hello per node.
func (c *upCluster) podsByNode(t *testing.T, bin string) map[string]int {
	t.Helper()
	var list struct {
		Items []struct {
			Spec   struct{ NodeName string }
			Status struct {
				Phase      string
				Conditions []struct{ Type, Status string }
			}
		}
	}
	if err := json.Unmarshal([]byte(c.run(t, bin, "get", "pods", "-l", "app=hello", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, p := range list.Items {
		ready := false
		for _, cd := range p.Status.Conditions {
			ready = ready || (cd.Type == "Ready" && cd.Status == "True")
		}
		if p.Status.Phase == "Running" && ready {
			by[p.Spec.NodeName]++
		}
	}
	return by
}

// nodeReady is the Ready condition's status of each node.
func (c *upCluster) nodeReady(t *testing.T, bin string) map[string]string {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct {
				Conditions []struct{ Type, Status string }
			}
		}
	}
	out := map[string]string{}
	b, err := exec.Command(bin, "--config", c.config, "get", "nodes", "-o", "json").Output()
	if err != nil { // the server may be starting
		return out
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	for _, n := range list.Items {
		for _, cd := range n.Status.Conditions {
			if cd.Type == "Ready" {
				out[n.Metadata.Name] = cd.Status
			}
		}
	}
	return out
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// TestUpNodes runs `wk up --nodes 3`: three Ready nodes, a 6-replica Deployment over all three,
// an agent killed with SIGKILL whose pods run elsewhere within 10 s, agents with a wrong token
// refused, and no agent left once wk up stops.
func TestUpNodes(t *testing.T) {
	bin := wkBin(t)
	dir := t.TempDir()
	c, took := startCluster(t, bin, dir, 3)
	t.Logf("wk up --nodes 3: every node Ready after %s", took)
	if took > 5*time.Second {
		t.Errorf("3 nodes Ready after %s, want within 5 s", took)
	}
	if out := c.run(t, bin, "get", "nodes", "-o", "wide"); strings.Count(out, " Ready ") != 3 || !strings.Contains(out, "127.0.0.3") {
		t.Fatalf("get nodes -o wide:\n%s", out)
	}

	if ip := strings.TrimSpace(c.run(t, bin, "ip")); ip != "127.0.0.1" {
		t.Errorf("wk ip = %q, want the control-plane node's 127.0.0.1", ip)
	}
	if ip := strings.TrimSpace(c.run(t, bin, "ip", "e2e-m02")); ip != "127.0.0.2" {
		t.Errorf("wk ip e2e-m02 = %q, want 127.0.0.2", ip)
	}

	os.WriteFile(filepath.Join(dir, "hello.wasm"), build.Go(t, "samples/hello"), 0o644)
	manifest, _ := os.ReadFile(filepath.Join("..", "samples", "hello", "hello.yaml"))
	os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte(strings.Replace(string(manifest), "replicas: 2", "replicas: 6", 1)), 0o644)
	c.run(t, bin, "apply", "-f", filepath.Join(dir, "hello.yaml"))
	waitFor(t, 30*time.Second, "6 hello pods Running over 3 nodes", func() bool {
		by := c.podsByNode(t, bin)
		return len(by) == 3 && by["e2e"]+by["e2e-m02"]+by["e2e-m03"] == 6
	})

	agent := exec.Command("pgrep", "-f", "--", "--data-dir "+filepath.Join(dir, "data", "nodes", "e2e-m03")+" ")
	out, err := agent.Output()
	pid := strings.Fields(string(out))
	if err != nil || len(pid) != 1 {
		t.Fatalf("find the agent of e2e-m03: %v %q", err, out)
	}
	exec.Command("kill", "-9", pid[0]).Run()
	notReady := waitFor(t, 10*time.Second, "e2e-m03 NotReady", func() bool { return c.nodeReady(t, bin)["e2e-m03"] != "True" })
	moved := waitFor(t, 10*time.Second-notReady, "e2e-m03's pods Running elsewhere", func() bool {
		by := c.podsByNode(t, bin)
		return by["e2e-m03"] == 0 && by["e2e"]+by["e2e-m02"] == 6
	})
	t.Logf("agent killed: NotReady after %s, its pods Running elsewhere after %s", notReady, notReady+moved)

	t.Run("wrong gossip key", func(t *testing.T) {
		tok := strings.Split(c.token, ".")
		tok[2] = strings.Repeat("A", len(tok[2]))
		a := exec.Command(bin, "agent", "--join", c.join, "--token", strings.Join(tok, "."), "--name", "intruder",
			"--data-dir", filepath.Join(dir, "intruder"), "--gossip-addr", "127.0.0.9:0", "--advertise-addr", "127.0.0.9")
		var errs strings.Builder
		a.Stderr = &errs
		a.Start()
		time.Sleep(4 * time.Second)
		a.Process.Kill()
		a.Wait()
		if _, ok := c.nodeReady(t, bin)["intruder"]; ok {
			t.Fatal("an agent with a wrong gossip key registered its node")
		}
		if !strings.Contains(errs.String(), "join") {
			t.Fatalf("the agent did not say it could not join:\n%s", errs.String())
		}
	})
	t.Run("wrong CA hash", func(t *testing.T) {
		tok := strings.Split(c.token, ".")
		tok[1] = strings.Repeat("0", len(tok[1]))
		a := exec.Command(bin, "agent", "--join", c.join, "--token", strings.Join(tok, "."), "--name", "impostor",
			"--data-dir", filepath.Join(dir, "impostor"), "--gossip-addr", "127.0.0.10:0", "--advertise-addr", "127.0.0.10")
		out, err := a.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "does not match the join token") {
			t.Fatalf("agent with a wrong CA hash: err %v\n%s", err, out)
		}
	})

	c.cmd.Process.Signal(syscall.SIGINT)
	c.cmd.Wait()
	if out, _ := exec.Command("pgrep", "-f", "--", "--data-dir "+filepath.Join(dir, "data", "nodes", "e2e-m02")+" ").Output(); len(out) > 0 {
		t.Fatalf("an agent outlived wk up: pid %s", out)
	}
}
