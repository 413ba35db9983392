package hollow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
)

// Client is what hollow nodes need of the API: the methods of *client.Client and of the API
// server's in-process client that they use.
type Client interface {
	Create(ctx context.Context, obj api.Object) (api.Object, error)
	UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error)
	Watch(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) (<-chan client.Event, error)
}

var (
	_ Client        = (*client.Client)(nil)
	_ Client        = (*apiserver.Local)(nil)
	_ statusBatcher = (*apiserver.Local)(nil)
)

// FarmConfig configures a Farm.
type FarmConfig struct {
	// Heartbeat is how often each node renews its Ready condition; the farm spreads the nodes'
	// heartbeats evenly over it. Give the node lifecycle controller a longer grace period.
	Heartbeat time.Duration
	// Reporters is how many goroutines write pod statuses, each Batch pods at a time at most:
	// in one call committed together when the client can (the API server's in-process client
	// can), else one after the other.
	Reporters int
	Batch     int
	Logger    *slog.Logger
}

// DefaultFarmConfig returns the defaults: a heartbeat every 30 s, 8 reporters of up to 128 pods.
func DefaultFarmConfig() FarmConfig {
	return FarmConfig{Heartbeat: 30 * time.Second, Reporters: 8, Batch: 128}
}

// Farm is a set of hollow nodes sharing one watch of the pods, as many kubemark hollow nodes
// would share an API server: one watch per node would decode every pod event once per node.
type Farm struct {
	cfg   FarmConfig
	c     Client
	log   *slog.Logger
	nodes []*api.Node
	index map[string]int // node name -> position in nodes

	running atomic.Int64 // pods reported Running and Ready
	queue   reportQueue
}

// NewFarm returns a farm of the given nodes; their status (capacity, addresses, Ready) is the
// farm's to fill in. Nothing is written until Register.
func NewFarm(cfg FarmConfig, c Client, nodes []*api.Node) *Farm {
	d := DefaultFarmConfig()
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = d.Heartbeat
	}
	if cfg.Reporters <= 0 {
		cfg.Reporters = d.Reporters
	}
	if cfg.Batch <= 0 {
		cfg.Batch = d.Batch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Farm{cfg: cfg, c: c, log: cfg.Logger, nodes: nodes, index: make(map[string]int, len(nodes))}
	for i, n := range nodes {
		f.index[n.Name] = i
	}
	f.queue.init()
	return f
}

// Running is how many pods the farm has reported Running and Ready.
func (f *Farm) Running() int64 { return f.running.Load() }

// Register creates every node, Ready, 64 at a time.
func (f *Farm) Register(ctx context.Context) error {
	now := api.Now()
	next := atomic.Int64{}
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range min(64, len(f.nodes)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(f.nodes) {
					return
				}
				n := f.nodes[i]
				n.Status = nodeStatus(i, now)
				if _, err := f.c.Create(ctx, n); err != nil {
					select {
					case errs <- fmt.Errorf("register node %s: %w", n.Name, err):
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

// nodeStatus is what hollow node i reports: the Shape, its address, and Ready as of now.
func nodeStatus(i int, now api.Time) api.NodeStatus {
	return api.NodeStatus{
		Capacity:    Shape,
		Allocatable: Shape,
		Addresses:   []api.NodeAddress{{Type: api.NodeInternalIP, Address: nodeIP(i)}, {Type: api.NodeHostName, Address: NodeName(i)}},
		NodeInfo:    api.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux", KubeletVersion: "hollow", ContainerRuntimeVersion: "hollow://"},
		Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "AgentReady",
			Message: "hollow node is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}},
	}
}

// Run heartbeats and reports pods until ctx ends.
func (f *Farm) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { f.heartbeats(ctx) })
	wg.Go(func() { f.watchPods(ctx) })
	for range f.cfg.Reporters {
		wg.Go(func() { f.report(ctx) })
	}
	<-ctx.Done()
	f.queue.close()
	wg.Wait()
}

// heartbeats renews one node's Ready condition at a time, going round all of them once per
// Heartbeat.
func (f *Farm) heartbeats(ctx context.Context) {
	if len(f.nodes) == 0 {
		return
	}
	t := time.NewTicker(max(f.cfg.Heartbeat/time.Duration(len(f.nodes)), time.Millisecond))
	defer t.Stop()
	for i := 0; ; i = (i + 1) % len(f.nodes) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := f.nodes[i]
		now := api.Now()
		n.Status.Conditions[0].LastHeartbeatTime = now
		hb := &api.Node{ObjectMeta: api.ObjectMeta{Name: n.Name}, Status: n.Status}
		if _, err := f.c.UpdateStatus(ctx, hb); err != nil && ctx.Err() == nil {
			f.log.Warn("heartbeat failed", "node", n.Name, "err", err)
		}
	}
}
