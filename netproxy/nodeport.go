package netproxy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
)

// NodePortsConfig configures NodePorts.
type NodePortsConfig struct {
	Address       string        // the node's IP to listen on; empty means every address
	Dialer        ServiceDialer // required
	Logger        *slog.Logger
	RetryInterval time.Duration // between attempts to bind a port that could not be bound
	DialTimeout   time.Duration // to open a connection to the Service
}

// DefaultNodePortsConfig returns the defaults; the caller sets Address and Dialer.
func DefaultNodePortsConfig() NodePortsConfig {
	return NodePortsConfig{
		Logger:        slog.New(slog.DiscardHandler),
		RetryInterval: 5 * time.Second,
		DialTimeout:   10 * time.Second,
	}
}

// NodePorts keeps one TCP listener on the node's address for each nodePort of every NodePort
// (and LoadBalancer) Service, and splices each accepted connection to the Service port through
// the Dialer. Update says which Services exist; Run opens and closes listeners to match. A port
// that cannot be bound is logged and retried every RetryInterval.
type NodePorts struct {
	cfg  NodePortsConfig
	kick chan struct{}

	mu        sync.Mutex
	want      map[int32]nodePortTarget
	conflicts []string
	running   map[int32]*nodePortListener // owned by Run
	failing   map[int32]string            // port -> last bind error, to log changes only
}

// NewNodePorts returns NodePorts without Services.
func NewNodePorts(cfg NodePortsConfig) *NodePorts {
	def := DefaultNodePortsConfig()
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = def.RetryInterval
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = def.DialTimeout
	}
	return &NodePorts{
		cfg:     cfg,
		kick:    make(chan struct{}, 1),
		want:    map[int32]nodePortTarget{},
		running: map[int32]*nodePortListener{},
		failing: map[int32]string{},
	}
}

// Update sets the current Services (all of them: the others are ignored) and wakes Run. It
// does not block.
func (n *NodePorts) Update(services []*api.Service) {
	want, conflicts := desiredNodePorts(services)
	n.mu.Lock()
	n.want, n.conflicts = want, conflicts
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Run keeps the listeners in line with the last Update until ctx ends, then closes them and the
// connections they accepted. Connections already spliced outlive the close of their listener.
func (n *NodePorts) Run(ctx context.Context) error {
	defer n.stopAll()
	for {
		var retry <-chan time.Time
		if !n.reconcile(ctx) {
			retry = time.After(n.cfg.RetryInterval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-n.kick:
		case <-retry:
		}
	}
}

// reconcile opens, closes and retargets listeners; it reports whether every wanted port is bound.
func (n *NodePorts) reconcile(ctx context.Context) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.conflicts {
		n.cfg.Logger.Warn("node port conflict", "detail", c)
	}
	n.conflicts = nil
	running := make(map[int32]nodePortTarget, len(n.running))
	for port, l := range n.running {
		running[port] = *l.target.Load()
	}
	start, stop, retarget := diffNodePorts(n.want, running)
	for _, port := range stop {
		n.running[port].close()
		delete(n.running, port)
		n.cfg.Logger.Info("node port closed", "port", port)
	}
	for _, port := range retarget {
		t := n.want[port]
		n.running[port].target.Store(&t)
		n.cfg.Logger.Info("node port retargeted", "port", port, "service", t.String())
	}
	for port := range n.failing {
		if _, ok := n.want[port]; !ok {
			delete(n.failing, port)
		}
	}
	ok := true
	for _, port := range start {
		t := n.want[port]
		l, err := listenNodePort(ctx, n.cfg, port, t)
		if err != nil {
			ok = false
			if n.failing[port] != err.Error() {
				n.cfg.Logger.Warn("node port not bound, will retry", "port", port, "service", t.String(), "retry", n.cfg.RetryInterval, "err", err)
				n.failing[port] = err.Error()
			}
			continue
		}
		delete(n.failing, port)
		n.running[port] = l
		n.cfg.Logger.Info("node port listening", "addr", l.ln.Addr().String(), "service", t.String())
	}
	return ok
}

func (n *NodePorts) stopAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for port, l := range n.running {
		l.close()
		delete(n.running, port)
	}
}

// listening returns the bound node ports and the address of each.
func (n *NodePorts) listening() map[int32]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[int32]string, len(n.running))
	for port, l := range n.running {
		out[port] = l.ln.Addr().String()
	}
	return out
}
