package netproxy

import (
	"context"
	"log/slog"
	"net"
	"strconv"
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
	set   *listenerSet
	kick  chan struct{}
	retry time.Duration
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
	set := newListenerSet(listenerSetConfig{
		what:   "node port",
		want:   func(s []*api.Service) (map[string]serviceTarget, []string) { return desiredNodePorts(cfg.Address, s) },
		dialer: cfg.Dialer,
		logger: cfg.Logger,
		retry:  cfg.RetryInterval,
		dialTO: cfg.DialTimeout,
	})
	return &NodePorts{set: set, kick: make(chan struct{}, 1), retry: cfg.RetryInterval}
}

// Update sets the current Services (all of them: the others are ignored) and wakes Run. It
// does not block.
func (n *NodePorts) Update(services []*api.Service) {
	n.set.update(services)
	kick(n.kick)
}

// Run keeps the listeners in line with the last Update until ctx ends, then closes them and the
// connections they accepted. Connections already spliced outlive the close of their listener.
func (n *NodePorts) Run(ctx context.Context) error {
	defer n.set.closeAll()
	reconcileLoop(ctx, n.kick, n.retry, n.set.reconcile)
	return nil
}

// desiredNodePorts maps address:nodePort, for each TCP nodePort of every NodePort or
// LoadBalancer Service, to its target.
func desiredNodePorts(address string, services []*api.Service) (map[string]serviceTarget, []string) {
	return wantedListeners(services, func(s *api.Service, want func(string, api.ServicePort)) {
		if s.Spec.Type != api.ServiceTypeNodePort && s.Spec.Type != api.ServiceTypeLoadBalancer {
			return
		}
		for _, p := range s.Spec.Ports {
			if p.NodePort > 0 && isTCP(p) {
				want(net.JoinHostPort(address, strconv.Itoa(int(p.NodePort))), p)
			}
		}
	})
}
