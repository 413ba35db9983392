// Package node is wk's node agent: it registers its Node with the control plane, keeps its
// heartbeat and conditions current, and runs the pods bound to it through a driver (wasm modules
// on wazero), with their restarts, probes, logs and status.
package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/netproxy"
	"github.com/wk-project/wk/wasmrt"
)

// Config configures an agent.
type Config struct {
	Name      string
	Address   string // InternalIP reported for the node
	DataDir   string // pods' volumes and logs, the module cache
	Labels    map[string]string
	Heartbeat time.Duration
	Version   string
	Capacity  api.ResourceList // nil: measured from the machine
	Toolbox   []byte           // the wasm program `wk exec` runs in wasm pods; nil: exec is refused
	// TunnelAddr is where the node proxy's tunnel listens for other nodes; empty means
	// Address:0. TunnelSecret (the join secret) authenticates them; without it the node neither
	// accepts nor opens tunnels, and pods on other nodes cannot be reached.
	TunnelAddr   string
	TunnelSecret string
	// IngressAddr, when set, is where the node's Ingress HTTP listener listens (HOST:PORT).
	// NodePort Services always listen on Address.
	IngressAddr string
	// Runc offers the runc runtime for Linux images, when runc and the CNI plugins are installed and
	// the agent runs as root. Its pods reach Services at ClusterIPs held by ServiceDevice, a dummy
	// device shared by the agents of one cluster on one machine.
	Runc          bool
	ServiceDevice string
	Logger        *slog.Logger
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Address: "127.0.0.1", DataDir: "agent", Heartbeat: 2 * time.Second, Version: "dev", ServiceDevice: "wksvc0"}
}

// Agent is a running node agent.
type Agent struct {
	cfg         Config
	client      *client.Client
	log         *slog.Logger
	nodes       *api.Kind
	kinds       kinds
	wasm        *wasmDriver
	runc        *runcDriver // nil when the node does not offer runc
	noRunc      string      // why, then
	runcPlugins string      // the CNI plugins' folder
	ipam        *ipam
	proxy       *netproxy.Proxy

	mu      sync.Mutex
	running map[string]*podWorker // "ns/name" -> worker, for the pods running here
}

// kinds are the kinds the agent reads.
type kinds struct {
	pods, configMaps, secrets *api.Kind
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
	a := &Agent{cfg: cfg, client: c, log: cfg.Logger, nodes: k, running: map[string]*podWorker{}}
	a.kinds.pods, _ = api.ResourceFor("pods")
	a.kinds.configMaps, _ = api.ResourceFor("configmaps")
	a.kinds.secrets, _ = api.ResourceFor("secrets")
	return a
}

// Run starts the wasm runtime and the agent's API, registers the node, then runs its pods and
// reports its status until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	rt, err := wasmrt.New(ctx, wasmrt.Config{CacheDir: filepath.Join(a.cfg.DataDir, "wasm-cache"), Logger: a.log})
	if err != nil {
		return fmt.Errorf("start wasm runtime: %w", err)
	}
	defer rt.Close(context.Background())
	a.checkRunc()
	if err := a.startProxy(); err != nil {
		return err
	}
	d := &wasmDriver{
		rt:      rt,
		images:  &imageStore{dir: filepath.Join(a.cfg.DataDir, "modules"), blobs: a.client, http: &http.Client{Timeout: 5 * time.Minute}},
		net:     a.proxy.ForPod,
		pulled:  map[string]string{},
		toolbox: a.cfg.Toolbox,
	}
	a.wasm = d
	if a.noRunc == "" {
		a.runc = newRuncDriver(filepath.Join(a.cfg.DataDir, "runc"), a.proxy, a.log.With("component", "runc"))
	}
	if len(a.cfg.Toolbox) > 0 {
		var warm sync.WaitGroup
		defer warm.Wait()                      // before the runtime closes
		warm.Go(func() { d.loadToolbox(ctx) }) // compile it before the first exec needs it
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.tunnelLoop(gctx) })
	g.Go(func() error { return a.proxy.Run(gctx) })
	g.Go(func() error { return a.heartbeatLoop(gctx) })
	if a.runc != nil {
		g.Go(func() error { return a.runc.runDNS(gctx) })
	}
	g.Go(func() error {
		if err := a.waitPodCIDR(gctx); err != nil {
			return nil
		}
		a.syncPods(gctx)
		return nil
	})
	return g.Wait()
}

// startProxy makes the node proxy and opens its tunnel listener, so that register can publish it.
func (a *Agent) startProxy() error {
	pcfg := netproxy.DefaultConfig()
	pcfg.NodeName, pcfg.Client, pcfg.Secret = a.cfg.Name, a.client, a.cfg.TunnelSecret
	pcfg.Logger = a.log.With("component", "netproxy")
	pcfg.NodeAddr, pcfg.IngressAddr = a.cfg.Address, a.cfg.IngressAddr
	if a.noRunc == "" {
		pcfg.ServiceDevice = a.cfg.ServiceDevice
	}
	if a.cfg.TunnelSecret != "" {
		pcfg.TunnelAddr = a.cfg.TunnelAddr
		if pcfg.TunnelAddr == "" {
			pcfg.TunnelAddr = net.JoinHostPort(a.cfg.Address, "0")
		}
	}
	a.proxy = netproxy.New(pcfg)
	return a.proxy.Listen()
}

// waitPodCIDR waits until the control plane has given the node its pod CIDR, and records it. When
// the control plane cannot be reached, the CIDR recorded before serves, so that the recorded pods
// can run while it is away.
func (a *Agent) waitPodCIDR(ctx context.Context) error {
	for {
		cidr, err := a.readPodCIDR(ctx)
		if err == nil && cidr != "" {
			if err := a.recordPodCIDR(cidr); err != nil {
				a.log.Warn("pod CIDR not recorded", "err", err)
			}
			return a.useIPAM(cidr)
		}
		if err != nil && unreachable(err) {
			if cidr, ok := a.recordedPodCIDR(); ok {
				a.log.Info("control plane unreachable; using the recorded pod CIDR", "cidr", cidr, "err", err)
				return a.useIPAM(cidr)
			}
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// worker is the worker of a pod running here.
func (a *Agent) worker(ns, name string) (*podWorker, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.running[ns+"/"+name]
	return w, ok
}

// podDir is the folder of a pod running here.
func (a *Agent) podDir(ns, name string) (string, bool) {
	if w, ok := a.worker(ns, name); ok {
		return w.dir, true
	}
	return "", false
}

func (a *Agent) trackPod(w *podWorker, running bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := w.pod.Namespace + "/" + w.pod.Name
	if running {
		a.running[key] = w
	} else if a.running[key] == w {
		delete(a.running, key)
	}
}

// heartbeatLoop registers the node, then reports its status every heartbeat. While the control
// plane is unreachable it keeps trying.
func (a *Agent) heartbeatLoop(ctx context.Context) error {
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
			for i := 0; api.IsConflict(err) && i < 3; i++ { // someone else wrote the node meanwhile
				err = a.heartbeat(ctx)
			}
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

// register applies the Node object with its labels and the node proxy's tunnel address.
func (a *Agent) register(ctx context.Context) error {
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: a.cfg.Name, Labels: a.labels()}}
	if addr := a.proxy.TunnelAddr(); addr != "" {
		n.Annotations = map[string]string{netproxy.TunnelAddrAnnotation: addr}
	}
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
		"wk.io/runtime-wasm":     "true",
	}
	if a.runc != nil {
		l["wk.io/runtime-runc"] = "true"
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
