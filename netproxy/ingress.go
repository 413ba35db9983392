package netproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
	"time"

	"github.com/wk-project/wk/control/api"
)

// ServiceDialer opens a connection to a ready endpoint of a service port (round robin,
// retrying another endpoint on failure). port is the service port number or name.
type ServiceDialer interface {
	DialService(ctx context.Context, namespace, name string, port string) (net.Conn, error)
}

// IngressConfig configures an Ingress.
type IngressConfig struct {
	Dialer      ServiceDialer // required
	Logger      *slog.Logger
	DialTimeout time.Duration // to open a connection to a backend
	// IdleConnsPerBackend is how many idle keep-alive connections are kept per service port.
	IdleConnsPerBackend int
	IdleConnTimeout     time.Duration
}

// DefaultIngressConfig returns the defaults; the caller sets Dialer.
func DefaultIngressConfig() IngressConfig {
	return IngressConfig{
		Logger:              slog.New(slog.DiscardHandler),
		DialTimeout:         10 * time.Second,
		IdleConnsPerBackend: 32,
		IdleConnTimeout:     90 * time.Second,
	}
}

// Ingress is the node's HTTP entry point: it routes each request by host and path to a Service
// port, as the Ingresses of class "wk" (or none) say, and proxies it there through the Dialer.
// Call Update with the current Ingresses whenever they change.
type Ingress struct {
	cfg   IngressConfig
	table atomic.Pointer[ingressTable]
	proxy *httputil.ReverseProxy
}

var _ http.Handler = (*Ingress)(nil)

// NewIngress returns an Ingress without rules: every request is answered 404 until Update.
func NewIngress(cfg IngressConfig) *Ingress {
	def := DefaultIngressConfig()
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = def.DialTimeout
	}
	if cfg.IdleConnsPerBackend <= 0 {
		cfg.IdleConnsPerBackend = def.IdleConnsPerBackend
	}
	if cfg.IdleConnTimeout <= 0 {
		cfg.IdleConnTimeout = def.IdleConnTimeout
	}
	i := &Ingress{cfg: cfg}
	i.table.Store(buildIngressTable(nil))
	i.proxy = &httputil.ReverseProxy{
		Rewrite:      ingressRewrite,
		Transport:    newIngressTransport(cfg),
		ErrorHandler: i.backendError,
		ErrorLog:     slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	return i
}

// Update replaces the routing table with one built from ingresses. Ingresses whose
// ingressClassName is set to something other than "wk" are ignored.
func (i *Ingress) Update(ingresses []*api.Ingress) {
	i.table.Store(buildIngressTable(ingresses))
}

type ingressBackendKey struct{}

// ServeHTTP routes and proxies one request: 404 when no rule matches, 503 when the backend
// Service has no ready endpoint or cannot be reached.
func (i *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := i.table.Load().match(r.Host, r.URL.Path)
	if !ok {
		http.Error(w, fmt.Sprintf("no ingress rule for host %q and path %q", normalizeIngressHost(r.Host), r.URL.Path), http.StatusNotFound)
		return
	}
	ctx := context.WithValue(r.Context(), ingressBackendKey{}, b)
	i.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// Run serves on addr (such as "0.0.0.0:80") until ctx ends.
func (i *Ingress) Run(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("ingress listen on %s: %w", addr, err)
	}
	return i.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then closes it; requests in flight get 5 s to finish, and
// upgraded (WebSocket) connections are closed after that.
func (i *Ingress) Serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           i,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(i.cfg.Logger.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		cancelBase()
	}()
	i.cfg.Logger.Info("ingress listening", "addr", ln.Addr().String())
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	_ = srv.Close()
	return fmt.Errorf("ingress serve on %s: %w", ln.Addr(), err)
}

// backendError answers a request whose backend failed: 503 when no connection could be opened
// to the Service (no ready endpoint, all unreachable), 502 when the backend broke its answer.
func (i *Ingress) backendError(w http.ResponseWriter, r *http.Request, err error) {
	b, _ := r.Context().Value(ingressBackendKey{}).(serviceTarget)
	svc := b.namespace + "/" + b.name
	var de *ingressDialError
	if errors.As(err, &de) {
		i.cfg.Logger.Debug("ingress backend unavailable", "service", svc, "port", b.port, "err", de.err)
		http.Error(w, fmt.Sprintf("service %q port %s is unavailable: %v", svc, b.port, de.err), http.StatusServiceUnavailable)
		return
	}
	if r.Context().Err() == nil {
		i.cfg.Logger.Debug("ingress backend failed", "service", svc, "port", b.port, "err", err)
	}
	http.Error(w, fmt.Sprintf("service %q port %s failed to answer: %v", svc, b.port, err), http.StatusBadGateway)
}
