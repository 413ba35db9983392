package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// extraNode is one more node of `wk up --nodes N`: a `wk agent` child process with its own data
// dir, gossip port and loopback address, named as minikube names them (NAME-m02, NAME-m03...).
type extraNode struct {
	name, addr, dataDir string
}

func extraNodes(first, dataDir string, n int) []extraNode {
	var nodes []extraNode
	for i := 2; i <= n; i++ {
		name := fmt.Sprintf("%s-m%02d", first, i)
		nodes = append(nodes, extraNode{name: name, addr: fmt.Sprintf("127.0.0.%d", i), dataDir: filepath.Join(dataDir, "nodes", name)})
	}
	return nodes
}

// runExtraNode runs the node's agent until ctx ends, then stops it with SIGTERM (SIGKILL after
// 10 s). An agent that dies is not started again: its node turns NotReady and its pods move, as
// when a machine of a real cluster dies.
func runExtraNode(ctx context.Context, log *slog.Logger, n extraNode, join, token, logLevel, ingressAddr string, runc bool) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find wk's own binary: %w", err)
	}
	// Each agent's gossip port is wk up's own, on the agent's address: stable while wk up runs
	// (memberlist refuses a member back on another address for a while), and free of clashes
	// with another wk up on the same machine.
	_, port, _ := net.SplitHostPort(join)
	cmd := exec.CommandContext(ctx, self, "agent", "--join", join, "--token", token, "--name", n.name,
		"--data-dir", n.dataDir, "--gossip-addr", net.JoinHostPort(n.addr, port), "--advertise-addr", n.addr, "--log-level", logLevel, fmt.Sprintf("--runc=%t", runc))
	if ingressAddr != "" {
		_, iport, _ := net.SplitHostPort(ingressAddr)
		cmd.Args = append(cmd.Args, "--ingress-addr", net.JoinHostPort(n.addr, iport))
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = childProcAttr()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start node %s: %w", n.name, err)
	}
	log.Info("node agent started", "node", n.name, "pid", cmd.Process.Pid, "address", n.addr)
	err = cmd.Wait()
	if ctx.Err() == nil {
		log.Warn("node agent exited", "node", n.name, "err", err)
	}
	return nil
}
