package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/node/gossip"
)

type serverOptions struct {
	dataDir    string
	apiAddr    string
	gossipAddr string
	advertise  string
	name       string
	logLevel   string
}

func newServerCmd(g *globals) *cobra.Command {
	o := serverOptions{apiAddr: "0.0.0.0:6443", gossipAddr: "0.0.0.0:" + defaultGossipPort}
	c := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane (API server, store, scheduler, controllers) for agents to join",
		Long: `Run wk's control plane in the foreground: the API server over TLS on --api-addr, the store in
--data-dir, the scheduler and the controllers, and a gossip member on --gossip-addr that node
agents join. The first start makes the cluster's CA, gossip key and tokens in --data-dir, and every
start prints the command that adds a machine to the cluster. The admin client config goes to
--config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServer(cmd.Context(), g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "where the store, blobs, CA and tokens live")
	f.StringVar(&o.apiAddr, "api-addr", o.apiAddr, "address the API server listens on (HOST:PORT)")
	f.StringVar(&o.gossipAddr, "gossip-addr", o.gossipAddr, "address the gossip member listens on, TCP and UDP (HOST:PORT)")
	f.StringVar(&o.advertise, "advertise-addr", "", "address agents and clients reach this server at (default: this machine's first non-loopback address)")
	f.StringVar(&o.name, "name", "wk-server-"+defaultNodeName(), "this server's gossip member name")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	return c
}

func runServer(ctx context.Context, g *globals, o serverOptions) error {
	log, err := newLogger(g, o.logLevel)
	if err != nil {
		return err
	}
	adv := o.advertise
	if adv == "" {
		adv = hostIP()
	}
	if net.ParseIP(adv) == nil {
		return fmt.Errorf("--advertise-addr: %q is not an IP address", adv)
	}
	srv, err := control.New(control.Config{DataDir: o.dataDir, APIAddr: o.apiAddr, AdvertiseAddrs: []string{adv}, Version: Version, Logger: log})
	if err != nil {
		return err
	}
	apiURL := advertisedURL(srv.URL(), adv)
	gs, err := serverGossip(srv, log, gossip.Config{Name: o.name, BindAddr: o.gossipAddr, Advertise: adv, Meta: gossip.Meta{API: apiURL}})
	if err != nil {
		return err
	}
	ccfg := srv.ClientConfig()
	ccfg.Server = apiURL
	if err := client.WriteFile(g.configFile(), ccfg); err != nil {
		return err
	}
	log.Info("starting wk server", "version", Version, "api", apiURL, "gossip", gs.Addr(), "data-dir", o.dataDir)
	fmt.Fprintf(g.out, `wk server is running: API server at %s, gossip at %s.
Admin client config written to %s. To add a machine to the cluster, run on it:
  %s
`, apiURL, gs.Addr(), g.configFile(), joinCommand(gs.Addr(), srv.JoinToken()))
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return srv.Run(ctx) })
	eg.Go(func() error { return gs.Run(ctx) })
	return eg.Wait()
}

// serverGossip makes the gossip member of the control plane srv, as cfg with srv's key, the
// server's meta and the version: gossip declaring a member dead turns its node NotReady at once.
// On failure it closes srv.
func serverGossip(srv *control.Server, log *slog.Logger, cfg gossip.Config) (*gossip.Gossip, error) {
	cfg.Key = srv.GossipKey()
	cfg.Meta.Server, cfg.Meta.Version = true, Version
	cfg.OnDead = func(m gossip.Member) {
		if m.Meta.Node != "" {
			srv.MarkNodeDead(m.Meta.Node)
		}
	}
	cfg.Logger = log.With("component", "gossip")
	gs, err := gossip.New(cfg)
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("--gossip-addr: %w", err)
	}
	return gs, nil
}
