// Package netproxy is the node proxy: it carries every service and pod connection of the wasm
// pods on a node. It owns the service table (Services and Endpoints, watched through the API),
// load balancing over ready endpoints, the node-to-node tunnel to pods on other nodes, NodePort
// listeners and the Ingress listener.
package netproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// TunnelAddrAnnotation is the Node annotation where a node's agent publishes the address of its
// proxy's tunnel listener.
const TunnelAddrAnnotation = "wk.io/tunnel-addr"

// LoadBalancerAnnotation on a Service picks its balancing: "least-connections", or round robin
// when absent.
const LoadBalancerAnnotation = "wk.io/load-balancer"

// Config configures a Proxy.
type Config struct {
	NodeName   string
	Client     *client.Client
	TunnelAddr string // where the tunnel listens, e.g. "10.0.0.5:0"; empty: no tunnel listener
	Secret     string // the join secret: authenticates node-to-node tunnel peers
	Logger     *slog.Logger
	// DialTimeout bounds one connection attempt to one endpoint; a failed or slow endpoint is
	// then left for the next. Zero means DefaultConfig's.
	DialTimeout time.Duration
	// NodeAddr, when set, is the node's address, where every NodePort Service's ports listen.
	NodeAddr string
	// IngressAddr, when set, is where the Ingress HTTP listener listens (HOST:PORT).
	IngressAddr string
	// OnServices, when set, is called with every Service after each change to the Services seen
	// (NodePorts.Update fits). It runs on the watch's goroutine and must not block.
	OnServices func([]*api.Service)
}

// DefaultConfig returns the defaults; the caller sets NodeName, Client, TunnelAddr and Secret.
func DefaultConfig() Config {
	return Config{Logger: slog.New(slog.DiscardHandler), DialTimeout: 5 * time.Second}
}

// Proxy is a node's proxy. Its table is filled by Run; dialling before the first list answers
// sees no services.
type Proxy struct {
	cfg    Config
	log    *slog.Logger
	dialer net.Dialer
	nodes  *nodeCache
	bal    *balancer

	table atomic.Pointer[table]

	mu       sync.Mutex
	ln       net.Listener // the tunnel's, once Listen ran
	services map[string]*api.Service
	eps      map[string]*api.Endpoints

	tunnelAccepted atomic.Int64 // tunnel connections spliced, for tests

	nodePorts *NodePorts // nil without NodeAddr
	ingress   *Ingress   // nil without IngressAddr
}

// New returns a proxy for cfg; Run starts it.
func New(cfg Config) *Proxy {
	def := DefaultConfig()
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = def.DialTimeout
	}
	p := &Proxy{
		cfg:      cfg,
		log:      cfg.Logger,
		nodes:    newNodeCache(cfg.Client, cfg.NodeName),
		bal:      newBalancer(),
		services: map[string]*api.Service{},
		eps:      map[string]*api.Endpoints{},
	}
	p.table.Store(buildTable(nil, nil))
	if cfg.NodeAddr != "" {
		ncfg := DefaultNodePortsConfig()
		ncfg.Address, ncfg.Dialer, ncfg.Logger = cfg.NodeAddr, p, cfg.Logger
		p.nodePorts = NewNodePorts(ncfg)
	}
	if cfg.IngressAddr != "" {
		icfg := DefaultIngressConfig()
		icfg.Dialer, icfg.Logger = p, cfg.Logger
		p.ingress = NewIngress(icfg)
	}
	return p
}

// Listen opens the tunnel listener on Config.TunnelAddr, if any; Run calls it when it was not
// called before. Calling it first lets the caller publish TunnelAddr before Run.
func (p *Proxy) Listen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil || p.cfg.TunnelAddr == "" {
		return nil
	}
	if p.cfg.Secret == "" {
		return errors.New("listen for node tunnels: no secret to authenticate peers with")
	}
	ln, err := net.Listen("tcp", p.cfg.TunnelAddr)
	if err != nil {
		return fmt.Errorf("listen for node tunnels: %w", err)
	}
	p.ln = ln
	return nil
}

// TunnelAddr is the tunnel listener's address ("" before Listen, or without a listener).
func (p *Proxy) TunnelAddr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

// Run watches Services and Endpoints into the table and serves the tunnel until ctx ends.
func (p *Proxy) Run(ctx context.Context) error {
	if err := p.Listen(); err != nil {
		return err
	}
	svcKind, _ := api.ResourceFor("services")
	epKind, _ := api.ResourceFor("endpoints")
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		w := &watcher{c: p.cfg.Client, kind: svcKind, log: p.log, apply: p.setServices}
		w.run(gctx)
		return nil
	})
	g.Go(func() error {
		w := &watcher{c: p.cfg.Client, kind: epKind, log: p.log, apply: p.setEndpoints}
		w.run(gctx)
		return nil
	})
	if p.nodePorts != nil {
		g.Go(func() error { return p.nodePorts.Run(gctx) })
	}
	if p.ingress != nil {
		ingKind, _ := api.ResourceFor("ingresses")
		g.Go(func() error {
			w := &watcher{c: p.cfg.Client, kind: ingKind, log: p.log, apply: p.setIngresses}
			w.run(gctx)
			return nil
		})
		g.Go(func() error { return p.ingress.Run(gctx, p.cfg.IngressAddr) })
	}
	p.mu.Lock()
	ln := p.ln
	p.mu.Unlock()
	if ln != nil {
		g.Go(func() error { return p.serveTunnel(gctx, ln) })
	}
	return g.Wait()
}

func (p *Proxy) setServices(objs map[string]api.Object) {
	list := make([]*api.Service, 0, len(objs))
	p.mu.Lock()
	p.services = make(map[string]*api.Service, len(objs))
	for k, o := range objs {
		s := o.(*api.Service)
		p.services[k] = s
		list = append(list, s)
	}
	p.rebuildLocked()
	p.mu.Unlock()
	if p.nodePorts != nil {
		p.nodePorts.Update(list)
	}
	if p.cfg.OnServices != nil {
		p.cfg.OnServices(list)
	}
}

func (p *Proxy) setIngresses(objs map[string]api.Object) {
	list := make([]*api.Ingress, 0, len(objs))
	for _, o := range objs {
		list = append(list, o.(*api.Ingress))
	}
	p.ingress.Update(list)
}

func (p *Proxy) setEndpoints(objs map[string]api.Object) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eps = make(map[string]*api.Endpoints, len(objs))
	for k, o := range objs {
		p.eps[k] = o.(*api.Endpoints)
	}
	p.rebuildLocked()
}

func (p *Proxy) rebuildLocked() {
	svcs := make([]*api.Service, 0, len(p.services))
	for _, s := range p.services {
		svcs = append(svcs, s)
	}
	eps := make([]*api.Endpoints, 0, len(p.eps))
	for _, e := range p.eps {
		eps = append(eps, e)
	}
	p.table.Store(buildTable(svcs, eps))
}
