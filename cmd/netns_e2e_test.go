//go:build linux

package cmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/samples/build"
)

// hosts are network namespaces joined by a bridge in a namespace of their own (the "switch"), plus
// a port for the test's own namespace, so that a test can cut one host's link and heal it.
type hosts struct {
	t      *testing.T
	prefix string
	n      int
}

// needNetns fails under CI and skips elsewhere when the test cannot make network namespaces.
func needNetns(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root to make network namespaces"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "needs the ip command: apt-get install -y iproute2"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func (h *hosts) ip(args ...string) {
	h.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		h.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (h *hosts) ns(i int) string { return fmt.Sprintf("%sh%d", h.prefix, i) }
func (h *hosts) sw() string      { return h.prefix + "sw" }
func (h *hosts) addr(i int) string {
	return fmt.Sprintf("10.77.0.%d", i)
}

// port is host i's port on the switch.
func (h *hosts) port(i int) string { return fmt.Sprintf("%sp%d", h.prefix, i) }

// newHosts makes n hosts at 10.77.0.1..n and gives the test's namespace 10.77.0.254.
func newHosts(t *testing.T, n int) *hosts {
	needNetns(t)
	h := &hosts{t: t, prefix: fmt.Sprintf("wk%d", os.Getpid()%10000), n: n}
	t.Cleanup(h.remove)
	h.ip("netns", "add", h.sw())
	h.ip("-n", h.sw(), "link", "add", "br0", "type", "bridge")
	h.ip("-n", h.sw(), "link", "set", "br0", "up")
	for i := 1; i <= n; i++ {
		h.ip("netns", "add", h.ns(i))
		h.ip("-n", h.ns(i), "link", "set", "lo", "up")
		h.ip("link", "add", h.port(i), "netns", h.sw(), "type", "veth", "peer", "name", "eth0", "netns", h.ns(i))
		h.ip("-n", h.sw(), "link", "set", h.port(i), "master", "br0", "up")
		h.ip("-n", h.ns(i), "addr", "add", h.addr(i)+"/24", "dev", "eth0")
		h.ip("-n", h.ns(i), "link", "set", "eth0", "up")
	}
	h.ip("link", "add", h.prefix+"rt", "type", "veth", "peer", "name", h.port(0), "netns", h.sw())
	h.ip("-n", h.sw(), "link", "set", h.port(0), "master", "br0", "up")
	h.ip("addr", "add", "10.77.0.254/24", "dev", h.prefix+"rt")
	h.ip("link", "set", h.prefix+"rt", "up")
	return h
}

func (h *hosts) remove() {
	exec.Command("ip", "link", "del", h.prefix+"rt").Run()
	for i := 1; i <= h.n; i++ {
		exec.Command("ip", "netns", "del", h.ns(i)).Run()
	}
	exec.Command("ip", "netns", "del", h.sw()).Run()
}

// cut takes host i's link down, as a pulled cable; heal puts it back.
func (h *hosts) cut(i int)  { h.ip("-n", h.sw(), "link", "set", h.port(i), "down") }
func (h *hosts) heal(i int) { h.ip("-n", h.sw(), "link", "set", h.port(i), "up") }

// start runs a command in host i until the test ends; its output goes to the test's log file.
func (h *hosts) start(i int, log string, args ...string) *exec.Cmd {
	h.t.Helper()
	return startProcess(h.t, "ip", log, append([]string{"netns", "exec", h.ns(i)}, args...)...)
}

// listening reports whether anything in host i listens on port.
func (h *hosts) listening(i int, port string) bool {
	out, _ := exec.Command("ip", "netns", "exec", h.ns(i), "ss", "-Htln").Output()
	return strings.Contains(string(out), ":"+port+" ")
}

// TestNetnsCluster runs `wk server` in one network namespace and `wk agent --join` in two others:
// they form a cluster; cutting one agent's link makes its node NotReady and its pods Running on
// the other within 10 s; healing the link brings the node back and it stops its duplicate pods.
func TestNetnsCluster(t *testing.T) {
	bin := wkBin(t)
	h := newHosts(t, 3)
	dir := t.TempDir()
	c := &upCluster{upProcess: upProcess{config: filepath.Join(dir, "config")}}
	slog := filepath.Join(dir, "server.log")
	h.start(1, slog, bin, "server", "--data-dir", filepath.Join(dir, "server"), "--api-addr", "10.77.0.1:6443",
		"--gossip-addr", "10.77.0.1:7946", "--advertise-addr", "10.77.0.1", "--config", c.config, "--name", "server")
	join, token := joinLine(t, slog)
	for i := 2; i <= 3; i++ {
		name := fmt.Sprintf("n%d", i)
		h.start(i, filepath.Join(dir, name+".log"), bin, "agent", "--join", join, "--token", token, "--name", name,
			"--data-dir", filepath.Join(dir, name))
	}
	waitFor(t, 20*time.Second, "n2 and n3 Ready", func() bool {
		r := c.nodeReady(t, bin)
		return r["n2"] == "True" && r["n3"] == "True"
	})
	if out := c.run(t, bin, "get", "nodes", "-o", "wide"); !strings.Contains(out, "10.77.0.2") || !strings.Contains(out, "10.77.0.3") {
		t.Fatalf("nodes do not show their addresses:\n%s", out)
	}

	os.WriteFile(filepath.Join(dir, "hello.wasm"), build.Go(t, "samples/hello"), 0o644)
	manifest, _ := os.ReadFile(filepath.Join("..", "samples", "hello", "hello.yaml"))
	os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte(strings.Replace(string(manifest), "replicas: 2", "replicas: 4", 1)), 0o644)
	c.run(t, bin, "apply", "-f", filepath.Join(dir, "hello.yaml"))
	waitFor(t, 30*time.Second, "4 hello pods Running on n2 and n3", func() bool {
		by := c.podsByNode(t, bin)
		return by["n2"] > 0 && by["n3"] > 0 && by["n2"]+by["n3"] == 4
	})
	if !h.listening(2, "9876") {
		t.Fatal("no pod listens in n2")
	}

	h.cut(2)
	notReady := waitFor(t, 10*time.Second, "n2 NotReady after its link was cut", func() bool { return c.nodeReady(t, bin)["n2"] != "True" })
	moved := waitFor(t, 10*time.Second-notReady, "n2's pods Running on n3", func() bool { return c.podsByNode(t, bin)["n3"] == 4 })
	t.Logf("link cut: NotReady after %s, pods Running on n3 after %s", notReady, notReady+moved)
	if !h.listening(2, "9876") {
		t.Fatal("n2 stopped its pods while cut off: it should keep them running")
	}

	h.heal(2)
	back := waitFor(t, 30*time.Second, "n2 Ready after its link healed", func() bool { return c.nodeReady(t, bin)["n2"] == "True" })
	stopped := waitFor(t, 20*time.Second, "n2 stopped its duplicate pods", func() bool { return !h.listening(2, "9876") })
	t.Logf("link healed: Ready after %s, duplicates stopped %s later", back, stopped)
	if by := c.podsByNode(t, bin); by["n3"] != 4 || by["n2"] != 0 {
		t.Fatalf("after healing, pods per node: %v", by)
	}
}
