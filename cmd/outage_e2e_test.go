package cmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
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

// freePort is a TCP port free on 127.0.0.1 now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startProcess runs bin with args until the test ends, its output appended to a log file.
func startProcess(t *testing.T, bin, log string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait(); f.Close() })
	return cmd
}

// joinArgs reads the --join and --token of the join command that `wk server` and `wk up` print.
func joinArgs(line string) (join, token string, ok bool) {
	f := strings.Fields(line)
	if len(f) == 6 && f[0] == "wk" && f[1] == "agent" && f[2] == "--join" {
		return f[3], f[5], true
	}
	return "", "", false
}

// joinLine waits for the join command in a log file and returns its --join and --token.
func joinLine(t *testing.T, log string) (string, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		f, _ := os.Open(log)
		if f != nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if join, token, ok := joinArgs(sc.Text()); ok {
					f.Close()
					return join, token
				}
			}
			f.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("no join command in the server's output:\n%s", b)
	return "", ""
}

// podState is what the test follows of each pod.
type podState struct {
	uid, node string
	ready     bool
	restarts  int
}

func (c *upCluster) pods(t *testing.T, bin string) map[string]podState {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct{ Name, UID string }
			Spec     struct{ NodeName string }
			Status   struct {
				Conditions        []struct{ Type, Status string }
				ContainerStatuses []struct{ RestartCount int }
			}
		}
	}
	if err := json.Unmarshal([]byte(c.run(t, bin, "get", "pods", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]podState{}
	for _, p := range list.Items {
		s := podState{uid: p.Metadata.UID, node: p.Spec.NodeName}
		for _, cd := range p.Status.Conditions {
			s.ready = s.ready || (cd.Type == "Ready" && cd.Status == "True")
		}
		for _, cs := range p.Status.ContainerStatuses {
			s.restarts += cs.RestartCount
		}
		out[p.Metadata.Name] = s
	}
	return out
}

// TestServerOutage stops `wk server` while an agent runs a Deployment and a crashing pod, and starts
// it again: meanwhile every pod keeps running and the crashing one keeps restarting; afterwards no
// pod was replaced or duplicated and the statuses are current. The outage lasts 20 s, or
// WK_E2E_OUTAGE (a Go duration) as the 60 s.
func TestServerOutage(t *testing.T) {
	bin := wkBin(t)
	outage := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("WK_E2E_OUTAGE")); err == nil {
		outage = d
	}
	dir := t.TempDir()
	apiPort, gossipPort := freePort(t), freePort(t)
	c := &upCluster{upProcess: upProcess{config: filepath.Join(dir, "config")}}
	serverArgs := []string{"server", "--data-dir", filepath.Join(dir, "server"), "--api-addr", "127.0.0.1:" + apiPort,
		"--gossip-addr", "127.0.0.1:" + gossipPort, "--advertise-addr", "127.0.0.1", "--config", c.config, "--name", "server"}
	slog := filepath.Join(dir, "server.log")
	server := startProcess(t, bin, slog, serverArgs...)
	join, token := joinLine(t, slog)
	startProcess(t, bin, filepath.Join(dir, "agent.log"), "agent", "--join", join, "--token", token, "--name", "edge",
		"--data-dir", filepath.Join(dir, "edge"), "--gossip-addr", "127.0.0.6:0", "--advertise-addr", "127.0.0.6")
	waitFor(t, 20*time.Second, "node edge Ready", func() bool { return c.nodeReady(t, bin)["edge"] == "True" })

	os.WriteFile(filepath.Join(dir, "hello.wasm"), build.Go(t, "samples/hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "probe.wasm"), build.Go(t, "wasmrt/testdata/probe"), 0o644)
	manifest, _ := os.ReadFile(filepath.Join("..", "samples", "hello", "hello.yaml"))
	port := freePort(t)
	hello := strings.ReplaceAll(string(manifest), "9876", port)
	hello = strings.Replace(hello, "        ports:", "        env:\n        - name: PORT\n          value: \""+port+"\"\n        ports:", 1)
	crash := "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: crash\nspec:\n  containers:\n  - name: c\n    image: ./probe.wasm\n    args: [exit, \"3\"]\n"
	os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(hello+crash), 0o644)
	c.run(t, bin, "apply", "-f", filepath.Join(dir, "app.yaml"))
	var before map[string]podState
	waitFor(t, 30*time.Second, "2 hello pods Ready and the crashing pod restarted", func() bool {
		before = c.pods(t, bin)
		ready := 0
		for name, p := range before {
			if strings.HasPrefix(name, "hello-") && p.ready {
				ready++
			}
		}
		return ready == 2 && len(before) == 3 && before["crash"].restarts >= 1
	})
	listeners := func() int {
		out, _ := exec.Command("ss", "-Htln").Output()
		return strings.Count(string(out), ":"+port+" ")
	}
	if n := listeners(); n != 2 {
		t.Fatalf("%d pods listen on port %s, want 2", n, port)
	}

	server.Process.Signal(syscall.SIGTERM)
	server.Wait()
	t.Logf("server stopped for %s", outage)
	for end := time.Now().Add(outage); time.Now().Before(end); time.Sleep(time.Second) {
		if n := listeners(); n != 2 {
			t.Fatalf("with the server away, %d pods listen on port %s, want 2", n, port)
		}
	}
	startProcess(t, bin, slog, serverArgs...)
	waitFor(t, 20*time.Second, "node edge Ready after the server returned", func() bool { return c.nodeReady(t, bin)["edge"] == "True" })
	crashes := before["crash"].restarts + 2
	waitFor(t, 20*time.Second, "current statuses", func() bool {
		after := c.pods(t, bin)
		for name, p := range before {
			if after[name].uid != p.uid || !after[name].ready && name != "crash" {
				return false
			}
		}
		return len(after) == 3 && after["crash"].restarts >= crashes
	})
	after := c.pods(t, bin)
	if fmt.Sprint(len(after)) != "3" || listeners() != 2 {
		t.Fatalf("after the outage: pods %v, %d listeners on port %s", after, listeners(), port)
	}
	t.Logf("crashing pod: %d restarts before the outage, %d after", before["crash"].restarts, after["crash"].restarts)
}
