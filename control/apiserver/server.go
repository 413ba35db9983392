package apiserver

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// Config configures the API server.
type Config struct {
	Addr            string // listen address, "127.0.0.1:6443"
	AdminToken      string // full access
	JoinToken       string // what node agents present
	MaxRequestBytes int64  // objects; default 3 MiB as in Kubernetes
	MaxBlobBytes    int64  // wasm modules; default 256 MiB
	Logger          *slog.Logger
	Version         string
	// TLS, when set, makes Run serve TLS with its certificates. HTTP/1.1 only: exec streams
	// and the nodes' tunnels are HTTP/1.1 connections.
	TLS *tls.Config
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:6443",
		MaxRequestBytes: 3 << 20,
		MaxBlobBytes:    256 << 20,
		Version:         "dev",
	}
}

// Server is the API server.
type Server struct {
	cfg   Config
	store *store.Store
	log   *slog.Logger
	mux   *http.ServeMux
	ln    net.Listener

	nodeMu    sync.Mutex // serializes node creation, for pod CIDR assignment
	serviceMu sync.Mutex // serializes Service writes that allocate cluster IPs and node ports
	events    decodedEvents

	tunnels tunnels // the node agents' connections, for logs and exec
}

// New returns a server over st.
func New(cfg Config, st *store.Store) *Server {
	def := DefaultConfig()
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = def.MaxRequestBytes
	}
	if cfg.MaxBlobBytes <= 0 {
		cfg.MaxBlobBytes = def.MaxBlobBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, store: st, log: cfg.Logger, mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	health := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	s.mux.HandleFunc("GET /healthz", health)
	s.mux.HandleFunc("GET /readyz", health)
	s.mux.HandleFunc("GET /livez", health)
	s.mux.Handle("GET /version", s.auth(http.HandlerFunc(s.serveVersion)))
	s.mux.Handle("/api/", s.auth(http.HandlerFunc(s.serveResource)))
	s.mux.Handle("GET /api/v1/nodes/{name}/tunnel", s.auth(http.HandlerFunc(s.serveTunnel)))
	s.mux.Handle("/apis/", s.auth(http.HandlerFunc(s.serveResource)))
	s.mux.Handle("/wk/v1/blobs/", s.auth(http.HandlerFunc(s.serveBlob)))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, api.NewStatusError(http.StatusNotFound, api.ReasonNotFound, "the server could not find the requested resource %s", r.URL.Path))
	})
}

// Handler is the server's HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.mux }

// Listen binds the configured address; Addr tells the bound one.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Close closes the listener of a server that will not Run.
func (s *Server) Close() error {
	if s.ln == nil {
		return nil
	}
	return s.ln.Close()
}

// Addr is the bound address, after Listen.
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.cfg.Addr
	}
	return s.ln.Addr().String()
}

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	hs := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	hs.RegisterOnShutdown(s.tunnels.closeAll) // Shutdown leaves hijacked connections open
	serve := func() error { return hs.Serve(s.ln) }
	if s.cfg.TLS != nil {
		hs.TLSConfig = s.cfg.TLS
		hs.Protocols = new(http.Protocols)
		hs.Protocols.SetHTTP1(true)
		serve = func() error { return hs.ServeTLS(s.ln, "", "") }
	}
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !(s.tokenIs(tok, s.cfg.AdminToken) || s.tokenIs(tok, s.cfg.JoinToken)) {
			writeError(w, api.NewStatusError(http.StatusUnauthorized, api.ReasonUnauthorized, "Unauthorized"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tokenIs(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"gitVersion": s.cfg.Version, "platform": "wk"})
}
