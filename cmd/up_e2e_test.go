package cmd

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wk-project/wk/control/client"
)

var (
	buildOnce sync.Once
	wkBinary  string
	buildErr  error
)

// wkBin builds the wk binary once per test run.
func wkBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the wk binary; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wk-e2e")
		if err != nil {
			buildErr = err
			return
		}
		wkBinary = filepath.Join(dir, "wk")
		out, err := exec.Command("go", "build", "-o", wkBinary, "./wk").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return wkBinary
}

// upProcess is a `wk up` child process.
type upProcess struct {
	cmd    *exec.Cmd
	config string
}

// startUp runs `wk up` on dataDir and waits until it says it is ready.
func startUp(t *testing.T, bin, dataDir, config string) *upProcess {
	t.Helper()
	cmd, _, _, _ := launchUp(t, bin, 30*time.Second, "--data-dir", dataDir, "--api-addr", "127.0.0.1:0", "--config", config, "--node-name", "e2e-node")
	p := &upProcess{cmd: cmd, config: config}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// launchUp starts `wk up args...` and waits, up to within, until it prints the command that adds
// a node, right after "wk is ready". It returns the process, that command's --join and --token,
// and how long wk up took to say it was ready. The caller stops the process.
func launchUp(t *testing.T, bin string, within time.Duration, args ...string) (cmd *exec.Cmd, join, token string, took time.Duration) {
	t.Helper()
	cmd = exec.Command(bin, append([]string{"up"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type readyLine struct {
		join, token string
		took        time.Duration
	}
	ready := make(chan readyLine, 1)
	go func() {
		defer close(ready)
		sc := bufio.NewScanner(stdout)
		var r readyLine
		for sc.Scan() {
			if strings.HasPrefix(strings.TrimSpace(sc.Text()), "wk is ready") {
				r.took = time.Since(start)
			}
			var ok bool
			if r.join, r.token, ok = joinArgs(sc.Text()); ok {
				ready <- r
			}
		}
	}()
	select {
	case r, ok := <-ready:
		if !ok {
			t.Fatal("wk up exited before it was ready")
		}
		return cmd, r.join, r.token, r.took
	case <-time.After(within):
		cmd.Process.Kill()
		t.Fatalf("wk up was not ready within %.0f s", within.Seconds())
	}
	return nil, "", "", 0
}

func (p *upProcess) kill9(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// run runs a wk client command against the cluster and returns its standard output.
func (p *upProcess) run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--config", p.config}, args...)...)
	var errs strings.Builder
	cmd.Stderr = &errs
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("wk %s: %v\n%s", strings.Join(args, " "), err, errs.String())
	}
	return string(out)
}

// TestUpKeepsEveryAppliedObjectAcrossKill9 applies 1,000 objects, kills wk up with SIGKILL as soon
// as apply returns, restarts it on the same data dir and finds all of them, over https with the CA
// that wk up wrote into the client config, the same before and after.
func TestUpKeepsEveryAppliedObjectAcrossKill9(t *testing.T) {
	bin := wkBin(t)
	dir := t.TempDir()
	data, config := filepath.Join(dir, "data"), filepath.Join(dir, "config")
	up := startUp(t, bin, data, config)

	cfg, err := client.LoadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg.Server, "https://") || len(cfg.CAData) == 0 {
		t.Fatalf("wk up wrote server %q and %d bytes of CA data; want https and the CA", cfg.Server, len(cfg.CAData))
	}
	if out := up.run(t, bin, "get", "nodes"); !strings.Contains(out, "e2e-node   Ready") {
		t.Fatalf("get nodes:\n%s", out)
	}

	var manifest strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&manifest, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\ndata:\n  index: \"%d\"\n", i, i)
	}
	file := filepath.Join(dir, "many.yaml")
	if err := os.WriteFile(file, []byte(manifest.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := up.run(t, bin, "apply", "-f", file)
	if n := strings.Count(out, " created\n"); n != 1000 {
		t.Fatalf("apply created %d objects, want 1000", n)
	}
	up.kill9(t)

	up = startUp(t, bin, data, config)
	if again, err := client.LoadFile(config); err != nil || string(again.CAData) != string(cfg.CAData) {
		t.Fatalf("after the restart the client config's CA changed (%v)", err)
	}
	names := strings.Fields(up.run(t, bin, "get", "configmaps", "-o", "name"))
	if len(names) != 1000 {
		t.Fatalf("after kill -9 and restart: %d config maps, want 1000", len(names))
	}
	if out := up.run(t, bin, "get", "cm", "cm-0999", "-o", "json"); !strings.Contains(out, `"index": "999"`) {
		t.Fatalf("cm-0999 lost its data:\n%s", out)
	}
}
