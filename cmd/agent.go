package cmd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/node"
	"github.com/wk-project/wk/node/gossip"
	"github.com/wk-project/wk/node/toolbox"
)

type agentOptions struct {
	join       string
	token      string
	name       string
	dataDir    string
	gossipAddr string
	advertise  string
	labels     map[string]string
	ingress    string
	logLevel   string
	runc       bool
}

func newAgentCmd(g *globals) *cobra.Command {
	o := agentOptions{name: defaultNodeName(), runc: true}
	c := &cobra.Command{
		Use:   "agent --join HOST:PORT --token TOKEN",
		Short: "Run a node agent that joins a cluster and runs the pods scheduled to this machine",
		Long: `Run a node agent in the foreground. It joins the cluster's gossip through --join (the address of
any member: the server prints it), finds the API server there, verifies it against the CA hash
inside --token, registers this machine as a Node and runs the pods bound to it. It keeps running
them while the control plane is away.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAgent(cmd.Context(), g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.join, "join", "", "gossip address of a cluster member (HOST:PORT), as `wk server` prints it")
	f.StringVar(&o.token, "token", "", "the cluster's join token, as `wk server` prints it")
	f.StringVar(&o.name, "name", o.name, "this node's name")
	f.StringVar(&o.dataDir, "data-dir", defaultAgentDataDir(), "where pods' volumes, logs and the module cache live")
	f.StringVar(&o.gossipAddr, "gossip-addr", "", "address the gossip member listens on (default ADVERTISE:"+defaultGossipPort+")")
	f.StringVar(&o.advertise, "advertise-addr", "", "this node's address (default: the local address that reaches --join)")
	f.StringVar(&o.ingress, "ingress-addr", "", "HOST:PORT of this node's Ingress HTTP listener (none by default)")
	f.StringToStringVar(&o.labels, "labels", nil, "labels of the node (k=v,...)")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.BoolVar(&o.runc, "runc", o.runc, runcFlagUsage)
	return c
}

func defaultAgentDataDir() string {
	return filepath.Join(filepath.Dir(defaultDataDir()), "agent")
}

// check validates the flags, naming the one at fault.
func (o *agentOptions) check() (client.JoinToken, error) {
	if o.join == "" {
		return client.JoinToken{}, fmt.Errorf("--join: required (HOST:PORT of a cluster member, as `wk server` prints it)")
	}
	if _, _, err := net.SplitHostPort(o.join); err != nil {
		return client.JoinToken{}, fmt.Errorf("--join: %q is not HOST:PORT", o.join)
	}
	if o.token == "" {
		return client.JoinToken{}, fmt.Errorf("--token: required (the join token `wk server` prints)")
	}
	tok, err := client.ParseJoinToken(o.token)
	if err != nil {
		return client.JoinToken{}, fmt.Errorf("--token: %w", err)
	}
	if o.advertise == "" {
		if o.advertise = outboundIP(o.join); o.advertise == "" {
			return client.JoinToken{}, fmt.Errorf("--advertise-addr: no route to %s; give this node's address", o.join)
		}
	}
	if net.ParseIP(o.advertise) == nil {
		return client.JoinToken{}, fmt.Errorf("--advertise-addr: %q is not an IP address", o.advertise)
	}
	if o.gossipAddr == "" {
		o.gossipAddr = net.JoinHostPort(o.advertise, defaultGossipPort)
	}
	if _, _, err := net.SplitHostPort(o.ingress); o.ingress != "" && err != nil {
		return client.JoinToken{}, fmt.Errorf("--ingress-addr: %q is not HOST:PORT", o.ingress)
	}
	for k := range o.labels {
		if strings.TrimSpace(k) == "" {
			return client.JoinToken{}, fmt.Errorf("--labels: empty key")
		}
	}
	return tok, nil
}

func runAgent(ctx context.Context, g *globals, o agentOptions) error {
	log, err := newLogger(g, o.logLevel)
	if err != nil {
		return err
	}
	tok, err := o.check()
	if err != nil {
		return err
	}
	gs, err := gossip.New(gossip.Config{
		Name: o.name, BindAddr: o.gossipAddr, Advertise: o.advertise, Key: tok.GossipKey,
		Meta:   gossip.Meta{Node: o.name, Version: Version, Runtimes: runtimes(o.runc)},
		Join:   []string{o.join},
		Logger: log.With("component", "gossip"),
	})
	if err != nil {
		return fmt.Errorf("--gossip-addr: %w", err)
	}
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return gs.Run(ctx) })
	eg.Go(func() error {
		// A restarted agent goes on with the server it knew, so that it runs its pods at once even
		// while the control plane is away.
		remembered := filepath.Join(o.dataDir, "api-server")
		apiURL := readTrimmed(remembered)
		if apiURL == "" {
			if apiURL, err = waitForServer(ctx, gs, o.join, g.errs); err != nil {
				return nil
			}
			if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
				return fmt.Errorf("--data-dir: %w", err)
			}
			if err := os.WriteFile(remembered, []byte(apiURL+"\n"), 0o600); err != nil {
				return fmt.Errorf("--data-dir: %w", err)
			}
		}
		c, err := client.New(client.Config{Server: apiURL, Token: tok.Secret, CAHash: tok.CAHash})
		if err != nil {
			return err
		}
		if err := checkServer(ctx, c); err != nil {
			return err
		}
		log.Info("joined the cluster", "node", o.name, "api", apiURL, "gossip", gs.Addr())
		ncfg := node.DefaultConfig()
		ncfg.Name, ncfg.Address, ncfg.DataDir, ncfg.Labels = o.name, o.advertise, o.dataDir, o.labels
		ncfg.Version, ncfg.Logger = Version, log.With("component", "agent")
		ncfg.Toolbox, _ = toolbox.Wasm()
		ncfg.TunnelSecret, ncfg.IngressAddr = tok.Secret, o.ingress
		ncfg.Runc = o.runc
		return node.New(ncfg, c).Run(ctx)
	})
	return eg.Wait()
}

// checkServer refuses a server that fails the token's CA pin or that refuses the token. A server
// that cannot be reached now is no error: the agent runs the pods it recorded meanwhile.
func checkServer(ctx context.Context, c *client.Client) error {
	ns, _ := api.ResourceFor("namespaces")
	_, err := c.Get(ctx, ns, "", "default")
	var cv *tls.CertificateVerificationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &cv) || strings.Contains(err.Error(), "certificate authority"):
		return fmt.Errorf("refusing the API server at %s: %w", c.Server(), err)
	case api.ReasonOf(err) == api.ReasonUnauthorized:
		return fmt.Errorf("the API server at %s refused the join token: %w", c.Server(), err)
	}
	return nil
}

// readTrimmed is a small file's content without surrounding space, or "" when it cannot be read.
func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
