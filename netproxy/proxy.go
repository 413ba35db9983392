// Package netproxy is the node proxy: it carries every service and pod connection of the pods on
// a node. It owns the service table (Services and Endpoints, watched through the API), load
// balancing over ready endpoints, the node-to-node tunnel to pods on other nodes, NodePort
// listeners, the Ingress listener, and the ClusterIPs on the host for pods with a network
// namespace of their own.
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
	// ServiceDevice, when set, names the dummy device (e.g. "wksvc0") that holds every
	// ClusterIP as a local address of the host, each ClusterIP:port served by a listener, for
	// pods that reach Services through the host's network (runc pods). Run creates it when
	// missing and leaves it behind.
	ServiceDevice string
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
	ln       net.Listener   // the tunnel's, once Listen ran
	services []*api.Service // as the last watch event left them
	eps      []*api.Endpoints

	tunnelAccepted atomic.Int64 // tunnel connections spliced, for tests

	nodePorts  *NodePorts  // nil without NodeAddr
	ingress    *Ingress    // nil without IngressAddr
	clusterIPs *clusterIPs // nil without ServiceDevice

	direct sync.Map // netip.Addr -> struct{}: pod IPs of this node that are real addresses
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
		cfg:   cfg,
		log:   cfg.Logger,
		nodes: newNodeCache(cfg.Client, cfg.NodeName),
		bal:   newBalancer(),
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
	if cfg.ServiceDevice != "" {
		p.clusterIPs = newClusterIPs(cfg.ServiceDevice, p, cfg.Logger)
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

// Run watches Services and Endpoints into the table and serves the tunnel, and the NodePorts,
// Ingress and ClusterIP listeners that the Config asks for, until ctx ends.
func (p *Proxy) Run(ctx context.Context) error {
	if err := p.Listen(); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return watch(gctx, p, "services", p.setServices) })
	g.Go(func() error { return watch(gctx, p, "endpoints", p.setEndpoints) })
	if p.nodePorts != nil {
		g.Go(func() error { return p.nodePorts.Run(gctx) })
	}
	if p.clusterIPs != nil {
		g.Go(func() error { return p.clusterIPs.Run(gctx) })
	}
	if p.ingress != nil {
		g.Go(func() error { return watch(gctx, p, "ingresses", p.ingress.Update) })
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

func (p *Proxy) setServices(list []*api.Service) {
	p.mu.Lock()
	p.services = list
	p.table.Store(buildTable(p.services, p.eps))
	p.mu.Unlock()
	if p.nodePorts != nil {
		p.nodePorts.Update(list)
	}
	if p.clusterIPs != nil {
		p.clusterIPs.Update(list)
	}
}

func (p *Proxy) setEndpoints(list []*api.Endpoints) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eps = list
	p.table.Store(buildTable(p.services, p.eps))
}
