// Package control composes wk's control plane: the durable store, the API server, the scheduler
// and the controllers, with what is made at first start: the certificate authority that the API's
// TLS certificate comes from, the admin token, the join secret and the gossip key.
package control

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controller"
	"github.com/wk-project/wk/control/pki"
	"github.com/wk-project/wk/control/store"
)

// Config configures the control plane.
type Config struct {
	DataDir string // store, blobs, tokens and the CA live here
	APIAddr string // "127.0.0.1:6443"; port 0 picks a free one
	Version string
	Logger  *slog.Logger
	// AdvertiseAddrs are more names and addresses that the API's certificate is valid for, beyond
	// localhost, the APIAddr's host, this machine's host name and its interface addresses.
	AdvertiseAddrs []string
	// NoControllers runs the API server alone, without the scheduler and the controllers: for
	// tests of the API and the CLI that want objects to stay exactly as written.
	NoControllers bool
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{DataDir: ".wk/data", APIAddr: "127.0.0.1:6443", Version: "dev"}
}

// Server is a running control plane.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	api   *apiserver.Server
	admin string
	join  string // the join secret: the bearer token of node agents
	ca    *pki.CA
	gkey  []byte // gossip key

	controllers *controller.Manager
}

// New opens the store, makes or reads the CA and the tokens, makes the API's serving certificate
// and binds the API address.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	sec, err := loadSecrets(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cert, err := sec.ca.ServerCertificate(servingHosts(cfg))
	if err != nil {
		return nil, err
	}
	scfg := store.DefaultConfig()
	scfg.Dir = filepath.Join(cfg.DataDir, "store")
	scfg.Logger = cfg.Logger.With("component", "store")
	st, err := store.Open(scfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	acfg := apiserver.DefaultConfig()
	acfg.Addr, acfg.AdminToken, acfg.JoinToken = cfg.APIAddr, sec.admin, sec.join
	acfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	acfg.Logger, acfg.Version = cfg.Logger.With("component", "apiserver"), cfg.Version
	as := apiserver.New(acfg, st)
	if err := as.Listen(); err != nil {
		st.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.APIAddr, err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, store: st, api: as, admin: sec.admin, join: sec.join, ca: sec.ca, gkey: sec.gossipKey}
	if err := s.ensureNamespaces(); err != nil {
		s.Close()
		return nil, err
	}
	c, err := client.New(s.ClientConfig())
	if err != nil {
		s.Close()
		return nil, err
	}
	ccfg := controller.DefaultConfig()
	ccfg.Logger = s.log.With("component", "controller-manager")
	s.controllers = controller.New(ccfg, c)
	return s, nil
}

// Close releases what New took, for a server that will not Run.
func (s *Server) Close() error {
	s.api.Close()
	return s.store.Close()
}

// MarkNodeDead makes a node NotReady at once, as when gossip declares its agent dead.
func (s *Server) MarkNodeDead(name string) {
	s.log.Info("gossip declared the node dead", "node", name)
	s.controllers.MarkNodeDead(name)
}

// URL is the API server's base URL: https, the host of Config.APIAddr (127.0.0.1 when it is
// unspecified) and the bound port.
func (s *Server) URL() string {
	host, _, err := net.SplitHostPort(s.cfg.APIAddr)
	if err != nil || isUnspecified(host) {
		host = "127.0.0.1"
	}
	_, port, _ := net.SplitHostPort(s.api.Addr())
	return "https://" + net.JoinHostPort(host, port)
}

// ClientConfig is the configuration of an admin client: URL, admin token and the CA certificate.
func (s *Server) ClientConfig() client.Config {
	return client.Config{Server: s.URL(), Token: s.admin, CAData: s.ca.CertPEM()}
}

// AdminToken is the token with full access.
func (s *Server) AdminToken() string { return s.admin }

// JoinToken is the join token in its one-line form (see client.JoinToken): the CA's hash, the
// gossip key and the join secret.
func (s *Server) JoinToken() string {
	return client.JoinToken{CAHash: s.ca.Hash(), GossipKey: s.GossipKey(), Secret: s.join}.String()
}

// NodeSecret is the join token's secret alone: the bearer token node agents present, and that the
// API server presents to the agents.
func (s *Server) NodeSecret() string { return s.join }

// GossipKey is the 32-byte key that encrypts the nodes' gossip.
func (s *Server) GossipKey() []byte { return append([]byte(nil), s.gkey...) }

// Store is the server's store, for in-process components and benchmarks.
func (s *Server) Store() *store.Store { return s.store }

// Run serves the API and runs the scheduler and the controllers until ctx ends, then closes the
// store. The controllers reach the API like any client, over loopback https with the admin token
// and the CA.
func (s *Server) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.api.Run(ctx) })
	if !s.cfg.NoControllers {
		g.Go(func() error { return s.controllers.Run(ctx) })
	}
	err := g.Wait()
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// ensureNamespaces creates the namespaces every cluster has.
func (s *Server) ensureNamespaces() error {
	k, _ := api.ResourceFor("namespaces")
	for _, name := range []string{"default", "kube-system", "kube-public"} {
		ns := &api.Namespace{ObjectMeta: api.ObjectMeta{Name: name, UID: name, CreationTimestamp: api.Now()}}
		api.SetTypeMeta(ns)
		api.SetDefaults(ns)
		b, err := jsonValue(ns)
		if err != nil {
			return err
		}
		if _, err := s.store.Create(k.StoreKey("", name), b); err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("create namespace %s: %w", name, err)
		}
	}
	return nil
}
