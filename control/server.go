// Package control composes wk's control plane: the durable store, the API server and (as they
// land) the scheduler and the controllers, with the tokens made at first start.
package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controller"
	"github.com/wk-project/wk/control/store"
)

// Config configures the control plane.
type Config struct {
	DataDir string // store, blobs and tokens live here
	APIAddr string // "127.0.0.1:6443"; port 0 picks a free one
	Version string
	Logger  *slog.Logger
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
	join  string

	controllers *controller.Manager
}

// New opens the store, makes or reads the tokens and binds the API address.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("make data dir: %w", err)
	}
	admin, err := loadOrMakeToken(filepath.Join(cfg.DataDir, "tokens", "admin"))
	if err != nil {
		return nil, err
	}
	join, err := loadOrMakeToken(filepath.Join(cfg.DataDir, "tokens", "join"))
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
	acfg.Addr, acfg.AdminToken, acfg.JoinToken = cfg.APIAddr, admin, join
	acfg.Logger, acfg.Version = cfg.Logger.With("component", "apiserver"), cfg.Version
	as := apiserver.New(acfg, st)
	if err := as.Listen(); err != nil {
		st.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.APIAddr, err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, store: st, api: as, admin: admin, join: join}
	if err := s.ensureNamespaces(); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// URL is the API server's base URL.
func (s *Server) URL() string { return "http://" + s.api.Addr() }

// AdminToken is the token with full access.
func (s *Server) AdminToken() string { return s.admin }

// JoinToken is the token node agents present.
func (s *Server) JoinToken() string { return s.join }

// Store is the server's store, for in-process components and benchmarks.
func (s *Server) Store() *store.Store { return s.store }

// Run serves the API and runs the scheduler and the controllers until ctx ends, then closes the
// store. The controllers reach the API like any client, over loopback with the admin token.
func (s *Server) Run(ctx context.Context) error {
	c, err := client.New(client.Config{Server: s.URL(), Token: s.admin})
	if err != nil {
		return err
	}
	ccfg := controller.DefaultConfig()
	ccfg.Logger = s.log.With("component", "controller-manager")
	s.controllers = controller.New(ccfg, c)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.api.Run(ctx) })
	if !s.cfg.NoControllers {
		g.Go(func() error { return s.controllers.Run(ctx) })
	}
	err = g.Wait()
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

// loadOrMakeToken reads a token file, writing a new random token first if there is none.
func loadOrMakeToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("write token: %w", err)
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write token: %w", err)
	}
	return tok, nil
}
