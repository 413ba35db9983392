// Package node is wk's node agent: it registers its Node with the control plane, keeps its
// heartbeat and conditions current, and (as the runtime lands) runs the pods bound to it.
package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// Config configures an agent.
type Config struct {
	Name      string
	Address   string // InternalIP reported for the node
	Labels    map[string]string
	Heartbeat time.Duration
	Version   string
	Capacity  api.ResourceList // nil: measured from the machine
	Logger    *slog.Logger
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Address: "127.0.0.1", Heartbeat: 10 * time.Second, Version: "dev"}
}

// Agent is a running node agent.
type Agent struct {
	cfg    Config
	client *client.Client
	log    *slog.Logger
	nodes  *api.Kind
}

// New returns an agent that talks to the API through c.
func New(cfg Config, c *client.Client) *Agent {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultConfig().Heartbeat
	}
	if cfg.Capacity == nil {
		cfg.Capacity = machineCapacity()
	}
	k, _ := api.ResourceFor("nodes")
	return &Agent{cfg: cfg, client: c, log: cfg.Logger, nodes: k}
}

// Run registers the node, then reports its status every heartbeat until ctx ends. While the
// control plane is unreachable it keeps trying.
func (a *Agent) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.Heartbeat)
	defer t.Stop()
	registered := false
	for {
		var err error
		if !registered {
			if err = a.register(ctx); err == nil {
				registered = true
				a.log.Info("node registered", "node", a.cfg.Name)
			}
		}
		if registered {
			err = a.heartbeat(ctx)
		}
		if err != nil && ctx.Err() == nil {
			a.log.Warn("node status not reported", "node", a.cfg.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// register applies the Node object with its labels and capacity.
func (a *Agent) register(ctx context.Context) error {
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: a.cfg.Name, Labels: a.labels()}}
	api.SetTypeMeta(n)
	if _, _, err := a.client.Apply(ctx, n); err != nil {
		return fmt.Errorf("register node %s: %w", a.cfg.Name, err)
	}
	return nil
}

func (a *Agent) labels() map[string]string {
	l := map[string]string{
		"kubernetes.io/hostname": a.cfg.Name,
		"kubernetes.io/arch":     runtime.GOARCH,
		"kubernetes.io/os":       runtime.GOOS,
	}
	for k, v := range a.cfg.Labels {
		l[k] = v
	}
	return l
}

// heartbeat writes the node's status: capacity, addresses, and a Ready condition stamped now.
func (a *Agent) heartbeat(ctx context.Context) error {
	obj, err := a.client.Get(ctx, a.nodes, "", a.cfg.Name)
	if err != nil {
		return fmt.Errorf("read node %s: %w", a.cfg.Name, err)
	}
	n := obj.(*api.Node)
	now := api.Now()
	n.Status.Capacity = a.cfg.Capacity
	n.Status.Allocatable = a.cfg.Capacity
	n.Status.Addresses = []api.NodeAddress{{Type: api.NodeInternalIP, Address: a.cfg.Address}, {Type: api.NodeHostName, Address: a.cfg.Name}}
	n.Status.NodeInfo = api.NodeSystemInfo{
		Architecture: runtime.GOARCH, OperatingSystem: runtime.GOOS,
		KubeletVersion: a.cfg.Version, ContainerRuntimeVersion: "wasm://wazero",
		OSImage: osImage(), KernelVersion: kernelVersion(),
	}
	setReady(n, now)
	if _, err := a.client.UpdateStatus(ctx, n); err != nil {
		return fmt.Errorf("report node %s: %w", a.cfg.Name, err)
	}
	return nil
}

func setReady(n *api.Node, now api.Time) {
	c := n.Condition(api.NodeReady)
	if c == nil {
		n.Status.Conditions = append(n.Status.Conditions, api.NodeCondition{Type: api.NodeReady})
		c = &n.Status.Conditions[len(n.Status.Conditions)-1]
	}
	if c.Status != api.ConditionTrue {
		c.LastTransitionTime = now
	}
	c.Status, c.Reason, c.Message = api.ConditionTrue, "AgentReady", "wk agent is posting ready status"
	c.LastHeartbeatTime = now
}
