package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/node"
	"github.com/wk-project/wk/node/gossip"
	"github.com/wk-project/wk/node/toolbox"
)

type upOptions struct {
	apply       []string
	advertise   []string
	dataDir     string
	apiAddr     string
	nodeName    string
	logLevel    string
	gossipAddr  string
	nodes       int
	ingressPort string
	runc        bool
}

// runtimes are the runtimes a node offers, as its gossip metadata says.
func runtimes(runc bool) []string {
	if runc && node.RuncMissing() == "" {
		return []string{"wasm", "runc"}
	}
	return []string{"wasm"}
}

const runcFlagUsage = "offer the runc runtime for Linux images (needs root, runc and the CNI plugins; a node without them offers wasm only)"

func newUpCmd(g *globals) *cobra.Command {
	o := upOptions{apiAddr: control.DefaultConfig().APIAddr, gossipAddr: "127.0.0.1:0", nodes: 1, runc: true}
	c := &cobra.Command{
		Use:   "up",
		Short: "Run a local cluster in the foreground (control plane, store and node agents)",
		Long: `Run a local cluster in this process: the API server over an embedded store in --data-dir,
and a node agent that registers this machine as a node. The API is served over TLS with a
certificate from the cluster's own CA, made at first start in --data-dir. It writes the client
config (server URL, admin token and the CA certificate) to --config, so that other wk commands
find and trust the cluster. Stop it with Ctrl-C; run it again on the same --data-dir and every
object is still there.

With --nodes N it also runs N-1 more node agents as child processes (as minikube start --nodes N),
named NODE-NAME-m02, -m03..., each with its own data dir under --data-dir/nodes, its own gossip
port and its own loopback address (127.0.0.2, 127.0.0.3...). They all stop with wk up. It prints
the command that adds another machine to the cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd.Context(), g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "where the store, blobs and tokens live")
	f.StringVar(&o.apiAddr, "api-addr", o.apiAddr, "address the API server listens on (HOST:PORT)")
	f.StringSliceVar(&o.advertise, "advertise-addr", nil, "more host names or IP addresses the API's certificate is valid for (localhost, this machine's name and addresses always are)")
	f.StringVar(&o.nodeName, "node-name", defaultNodeName(), "name of this machine's node")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.IntVar(&o.nodes, "nodes", o.nodes, "number of nodes: this process's and N-1 local agents")
	f.StringVar(&o.ingressPort, "ingress-addr", "", "HOST:PORT of this node's Ingress HTTP listener (under --nodes, every node listens on its own address at PORT)")
	f.StringVar(&o.gossipAddr, "gossip-addr", o.gossipAddr, "address the cluster's gossip listens on (HOST:PORT; port 0 picks one)")
	f.BoolVar(&o.runc, "runc", o.runc, runcFlagUsage)
	f.StringSliceVar(&o.apply, "apply", nil, "manifest files or folders to apply once the cluster is ready (as k3s's manifests folder)")
	return c
}

func defaultDataDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".wk", "data")
	}
	return filepath.Join(home, ".wk", "data")
}

func defaultNodeName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "wk-node"
	}
	return h
}

func newLogger(g *globals, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(g.errs, &slog.HandlerOptions{Level: l})), nil
}

func runUp(ctx context.Context, g *globals, o upOptions) error {
	start := time.Now()
	log, err := newLogger(g, o.logLevel)
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(o.ingressPort); o.ingressPort != "" && err != nil {
		return fmt.Errorf("--ingress-addr: %q is not HOST:PORT", o.ingressPort)
	}
	if o.nodes < 1 || o.nodes > 250 {
		return fmt.Errorf("--nodes: %d is not between 1 and 250", o.nodes)
	}
	srv, err := control.New(control.Config{DataDir: o.dataDir, APIAddr: o.apiAddr, AdvertiseAddrs: o.advertise, Version: Version, Logger: log})
	if err != nil {
		return err
	}
	gs, err := serverGossip(srv, log, gossip.Config{Name: o.nodeName, BindAddr: o.gossipAddr,
		Meta: gossip.Meta{API: srv.URL(), Node: o.nodeName, Runtimes: runtimes(o.runc)}})
	if err != nil {
		return err
	}
	ccfg := srv.ClientConfig()
	if err := client.WriteFile(g.configFile(), ccfg); err != nil {
		return err
	}
	c, err := client.New(ccfg)
	if err != nil {
		return err
	}
	ncfg := node.DefaultConfig()
	ncfg.Name, ncfg.Version, ncfg.Logger = o.nodeName, Version, log.With("component", "agent")
	ncfg.DataDir = filepath.Join(o.dataDir, "agent")
	ncfg.Labels = map[string]string{controlPlaneRole: ""}
	ncfg.Toolbox, _ = toolbox.Wasm()
	ncfg.TunnelSecret = srv.NodeSecret()
	ncfg.IngressAddr = o.ingressPort
	ncfg.Runc = o.runc
	agent := node.New(ncfg, c)
	log.Info("starting wk", "version", Version, "api", srv.URL(), "gossip", gs.Addr(), "data-dir", o.dataDir, "nodes", o.nodes)

	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return srv.Run(ctx) })
	eg.Go(func() error { return gs.Run(ctx) })
	eg.Go(func() error { return agent.Run(ctx) })
	names := []string{o.nodeName}
	for _, n := range extraNodes(o.nodeName, o.dataDir, o.nodes) {
		names = append(names, n.name)
		eg.Go(func() error {
			return runExtraNode(ctx, log, n, gs.Addr(), srv.JoinToken(), o.logLevel, o.ingressPort, o.runc)
		})
	}
	eg.Go(func() error {
		for _, name := range names {
			if err := waitNodeReady(ctx, c, name); err != nil {
				return nil
			}
		}
		log.Info("wk is ready", "nodes", len(names), "took", time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(g.out, `wk is ready: %s, API server at %s.
Client config written to %s. Next, in another terminal:
  wk get nodes
  wk get pods -o wide
  wk apply -f docs/examples/
To add another node, run:
  %s
Press Ctrl-C to stop; the cluster's objects stay in %s.
`, readyNodes(names), srv.URL(), g.configFile(), joinCommand(gs.Addr(), srv.JoinToken()), o.dataDir)
		if len(o.apply) > 0 {
			if err := runApply(ctx, g, nil, o.apply); err != nil {
				log.Error("apply at start failed", "files", o.apply, "err", err)
			}
		}
		return nil
	})
	return eg.Wait()
}

// readyNodes says which nodes are Ready: `node "vm" is Ready` or `3 nodes are Ready`.
func readyNodes(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("node %q is Ready", names[0])
	}
	return fmt.Sprintf("%d nodes are Ready (%s)", len(names), strings.Join(names, ", "))
}

// waitNodeReady polls until the node reports Ready or ctx ends.
func waitNodeReady(ctx context.Context, c *client.Client, name string) error {
	nodes, _ := api.ResourceFor("nodes")
	for {
		if obj, err := c.Get(ctx, nodes, "", name); err == nil {
			if cond := obj.(*api.Node).Condition(api.NodeReady); cond != nil && cond.Status == api.ConditionTrue {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
