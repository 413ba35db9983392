package hollow

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/controller"
	"github.com/wk-project/wk/control/store"
)

// Config configures a scheduling benchmark.
type Config struct {
	Nodes       int  // hollow nodes, at most MaxNodes
	Pods        int  // pods, in ReplicaSets of PodsPerSet
	Constraints bool // pods select a tenth of the nodes, tolerate a taint, spread over zones
	PodsPerSet  int  // replicas of each ReplicaSet; 0 = 1000
	// Dir is where the store lives; "" makes a temporary directory, removed afterwards.
	Dir string
	// Heartbeat is each hollow node's heartbeat period; 0 = 30 s. The node lifecycle
	// controller's grace period is three of them.
	Heartbeat time.Duration
	// Stall fails the run when no pod is created, bound or reported running for this long;
	// 0 = 1 minute.
	Stall time.Duration
	// Progress gets a line a second while the run lasts; nil = none.
	Progress io.Writer
	Logger   *slog.Logger
}

// MaxNodes is the most hollow nodes: their pod CIDRs are the /24s of 100.64.0.0/10.
const MaxNodes = 1 << 14

// DefaultConfig returns the defaults for 1,000 nodes and 10,000 pods.
func DefaultConfig() Config {
	return Config{Nodes: 1000, Pods: 10000, PodsPerSet: 1000, Heartbeat: 30 * time.Second, Stall: time.Minute}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	switch {
	case c.Nodes < 1 || c.Nodes > MaxNodes:
		return c, fmt.Errorf("nodes: %d is not between 1 and %d", c.Nodes, MaxNodes)
	case c.Pods < 1:
		return c, fmt.Errorf("pods: %d is not positive", c.Pods)
	case c.Pods > c.Nodes*podsPerNode:
		return c, fmt.Errorf("pods: %d do not fit on %d nodes of %d pods", c.Pods, c.Nodes, podsPerNode)
	}
	if c.PodsPerSet <= 0 {
		c.PodsPerSet = d.PodsPerSet
	}
	if c.Constraints {
		if err := fitsPools(c.Nodes, c.Pods, c.PodsPerSet); err != nil {
			return c, err
		}
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = d.Heartbeat
	}
	if c.Stall <= 0 {
		c.Stall = d.Stall
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// fitsPools checks that with constraints the pods of each pool's ReplicaSets fit its nodes.
func fitsPools(nodes, pods, perSet int) error {
	var want [pools]int
	for j := 0; pods > 0; j++ {
		want[j%pools] += min(perSet, pods)
		pods -= perSet
	}
	for p, n := range want {
		if room := (nodes + pools - 1 - p) / pools * podsPerNode; n > room {
			return fmt.Errorf("pods: with --constraints, %d pods select %s, whose nodes hold %d", n, poolName(p), room)
		}
	}
	return nil
}

// Result is what a run measured.
type Result struct {
	Nodes       int
	Constraints bool
	Timings
	// Running is the time from the first acknowledged create until the hollow nodes had
	// reported every pod Running.
	Running time.Duration
	// PeakRSS is the process's peak resident set size, in bytes.
	PeakRSS int64
}

// Run registers cfg.Nodes hollow nodes with a fresh control plane in this process, creates
// ReplicaSets for cfg.Pods pods, and measures until every pod is bound and reported Running.
func Run(ctx context.Context, cfg Config) (Result, error) {
	return run(ctx, cfg, nil)
}

// run is Run with a look at the cluster before it stops, for tests.
func run(ctx context.Context, cfg Config, inspect func(c *apiserver.Local) error) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "wk-bench-"); err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(dir)
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return Result{}, fmt.Errorf("data dir %s is not empty: the benchmark needs a fresh store", dir)
	}
	scfg := store.DefaultConfig()
	scfg.Dir, scfg.Logger = dir, cfg.Logger.With("component", "store")
	st, err := store.Open(scfg)
	if err != nil {
		return Result{}, fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	acfg := apiserver.DefaultConfig()
	acfg.Logger = cfg.Logger.With("component", "apiserver")
	b := &bench{cfg: cfg, c: apiserver.New(acfg, st).Local()}
	res, err := b.run(ctx)
	if err == nil && inspect != nil {
		err = inspect(b.c)
	}
	return res, err
}

type bench struct {
	cfg  Config
	c    *apiserver.Local
	farm *Farm
	tc   *timedClient

	allRunning time.Time // when the last pod was reported running
}

func (b *bench) run(ctx context.Context) (Result, error) {
	cfg := b.cfg
	if _, err := b.c.Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "default"}}); err != nil {
		return Result{}, fmt.Errorf("create namespace default: %w", err)
	}
	start := time.Now()
	b.farm = NewFarm(FarmConfig{Heartbeat: cfg.Heartbeat, Logger: cfg.Logger.With("component", "hollow")}, b.c, benchNodes(cfg.Nodes, cfg.Constraints))
	if err := b.farm.Register(ctx); err != nil {
		return Result{}, err
	}
	fmt.Fprintf(cfg.Progress, "registered %d hollow nodes in %s\n", cfg.Nodes, time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { b.farm.Run(ctx) })
	ccfg := controller.DefaultConfig()
	ccfg.Logger = cfg.Logger.With("component", "controller-manager")
	ccfg.NodeMonitorGracePeriod = 3 * cfg.Heartbeat
	b.tc = newTimedClient(b.c)
	m := controller.New(ccfg, b.tc)
	wg.Go(func() { m.Run(ctx) })

	sets := benchReplicaSets(cfg.Pods, cfg.PodsPerSet, cfg.Constraints)
	for _, rs := range sets {
		if _, err := b.c.Create(ctx, rs); err != nil {
			return Result{}, fmt.Errorf("create replicaset %s: %w", rs.Name, err)
		}
	}
	fmt.Fprintf(cfg.Progress, "created %d replicasets of %d pods\n", len(sets), cfg.Pods)
	if err := b.wait(ctx); err != nil {
		return Result{}, err
	}
	t := b.tc.timings()
	return Result{Nodes: cfg.Nodes, Constraints: cfg.Constraints, Timings: t, Running: b.allRunning.Sub(t.first), PeakRSS: PeakRSS()}, nil
}

// wait polls the counts until every pod is bound and running, printing them once a second, and
// fails when they stop moving for cfg.Stall.
func (b *bench) wait(ctx context.Context) error {
	type counts struct{ created, bound, running int64 }
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	start := time.Now()
	lastPrint, lastMove := start, start
	var printed, seen counts
	n := int64(b.cfg.Pods)
	for {
		now := time.Now()
		c := counts{b.tc.created.Load(), b.tc.bound.Load(), b.farm.Running()}
		done := c.bound >= n && c.running >= n
		if c != seen {
			seen, lastMove = c, now
		}
		if done || now.Sub(lastPrint) >= time.Second {
			rate := float64(c.bound-printed.bound) / now.Sub(lastPrint).Seconds()
			fmt.Fprintf(b.cfg.Progress, "%5.1fs  created %d/%d  bound %d  running %d  %.0f pods/s\n",
				now.Sub(start).Seconds(), c.created, n, c.bound, c.running, rate)
			printed, lastPrint = c, now
		}
		if done {
			b.allRunning = now
			return nil
		}
		if now.Sub(lastMove) > b.cfg.Stall {
			return fmt.Errorf("no progress for %s: %d of %d pods created, %d bound, %d running", b.cfg.Stall, c.created, n, c.bound, c.running)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-poll.C:
		}
	}
}
