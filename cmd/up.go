package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/node"
	"github.com/wk-project/wk/node/toolbox"
)

type upOptions struct {
	apply    []string
	dataDir  string
	apiAddr  string
	nodeName string
	logLevel string
}

func newUpCmd(g *globals) *cobra.Command {
	o := upOptions{apiAddr: control.DefaultConfig().APIAddr}
	c := &cobra.Command{
		Use:   "up",
		Short: "Run a local one-node cluster in the foreground (control plane, store and node agent)",
		Long: `Run a local cluster in this process: the API server over an embedded store in --data-dir,
and a node agent that registers this machine as a node. It writes the client config (server URL
and admin token) to --config, so that other wk commands find the cluster. Stop it with Ctrl-C;
run it again on the same --data-dir and every object is still there.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd.Context(), g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "where the store, blobs and tokens live")
	f.StringVar(&o.apiAddr, "api-addr", o.apiAddr, "address the API server listens on (HOST:PORT)")
	f.StringVar(&o.nodeName, "node-name", defaultNodeName(), "name of this machine's node")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
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
	srv, err := control.New(control.Config{DataDir: o.dataDir, APIAddr: o.apiAddr, Version: Version, Logger: log})
	if err != nil {
		return err
	}
	ccfg := client.Config{Server: srv.URL(), Token: srv.AdminToken()}
	if err := client.WriteFile(g.configFile(), ccfg); err != nil {
		return err
	}
	c, err := client.New(ccfg)
	if err != nil {
		return err
	}
	ncfg := node.DefaultConfig()
	ncfg.Name, ncfg.Version, ncfg.Logger = o.nodeName, Version, log.With("component", "agent")
	ncfg.DataDir, ncfg.NodeToken = filepath.Join(o.dataDir, "agent"), srv.JoinToken()
	ncfg.Toolbox, _ = toolbox.Wasm()
	agent := node.New(ncfg, c)
	log.Info("starting wk", "version", Version, "api", srv.URL(), "data-dir", o.dataDir)

	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return srv.Run(ctx) })
	eg.Go(func() error { return agent.Run(ctx) })
	eg.Go(func() error {
		if err := waitNodeReady(ctx, c, o.nodeName); err != nil {
			return nil
		}
		log.Info("wk is ready", "node", o.nodeName, "took", time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(g.out, `wk is ready: node %q is Ready, API server at %s.
Client config written to %s. Next, in another terminal:
  wk get nodes
  wk get pods -o wide
  wk apply -f docs/examples/
Press Ctrl-C to stop; the cluster's objects stay in %s.
`, o.nodeName, srv.URL(), g.configFile(), o.dataDir)
		if len(o.apply) > 0 {
			if err := runApply(ctx, g, nil, o.apply); err != nil {
				log.Error("apply at start failed", "files", o.apply, "err", err)
			}
		}
		return nil
	})
	return eg.Wait()
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
