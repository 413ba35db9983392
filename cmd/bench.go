package cmd

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/hollow"
)

func newBenchCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure parts of wk in this process",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newBenchScheduleCmd(g))
	return c
}

type benchScheduleOptions struct {
	cfg        hollow.Config
	output     string
	logLevel   string
	cpuProfile string
}

func newBenchScheduleCmd(g *globals) *cobra.Command {
	o := benchScheduleOptions{cfg: hollow.DefaultConfig()}
	c := &cobra.Command{
		Use:   "schedule",
		Short: "Measure scheduling end to end on hollow nodes",
		Long: `Run a control plane in this process (the durable store in a temporary directory, the API
server's logic, the controllers and the scheduler) with hollow nodes: fake agents that register
a Node of 32 cpu, 256Gi and 110 pods, heartbeat every 30 s, and report the pods bound to them
Running without running them. ReplicaSets for --pods pods are created as a user would; the
ReplicaSet controller creates the pods and the scheduler binds them.

It prints the pods per second from the first acknowledged pod create to the last acknowledged
binding, the 50th and 99th percentile of each pod's create-to-binding latency, and the peak
memory of the process. Progress goes to stderr once a second.

With --constraints every pod selects a tenth of the nodes (wk.io/bench-pool), tolerates the
NoSchedule taint on every 7th node, and is spread over 3 zones with its ReplicaSet's other pods.`,
		Example: `  wk bench schedule --nodes 5000 --pods 50000
  wk bench schedule --nodes 1000 --pods 10000 --constraints -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchSchedule(cmd, g, o)
		},
	}
	f := c.Flags()
	f.IntVar(&o.cfg.Nodes, "nodes", o.cfg.Nodes, "hollow nodes to register")
	f.IntVar(&o.cfg.Pods, "pods", o.cfg.Pods, "pods to create and schedule")
	f.BoolVar(&o.cfg.Constraints, "constraints", false, "give every pod a nodeSelector, a toleration and zone spreading")
	f.IntVar(&o.cfg.PodsPerSet, "pods-per-set", o.cfg.PodsPerSet, "replicas of each ReplicaSet")
	f.DurationVar(&o.cfg.Heartbeat, "heartbeat", o.cfg.Heartbeat, "how often each hollow node renews its Ready condition")
	f.StringVar(&o.cfg.Dir, "data-dir", "", "where the store lives (default: a temporary directory, removed afterwards)")
	f.StringVarP(&o.output, "output", "o", "", "output format: json, or a table when empty")
	f.StringVar(&o.logLevel, "log-level", "error", "debug, info, warn or error (warn shows the events the controllers drop under load)")
	f.StringVar(&o.cpuProfile, "cpu-profile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	return c
}

func runBenchSchedule(cmd *cobra.Command, g *globals, o benchScheduleOptions) error {
	if o.output != "" && o.output != "json" {
		return fmt.Errorf("--output: unknown format %q (use json)", o.output)
	}
	log, err := newLogger(g, o.logLevel)
	if err != nil {
		return err
	}
	o.cfg.Logger, o.cfg.Progress = log, g.errs
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := hollow.Run(cmd.Context(), o.cfg)
	if err != nil {
		return err
	}
	if o.output == "json" {
		return json.NewEncoder(g.out).Encode(benchJSON(res))
	}
	w := newTable(g.out)
	fmt.Fprintln(w, "NODES\tPODS\tCONSTRAINTS\tPODS/S\tP50\tP99\tBOUND IN\tRUNNING IN\tPEAK MEMORY")
	fmt.Fprintf(w, "%d\t%d\t%t\t%.0f\t%s\t%s\t%s\t%s\t%dMi\n", res.Nodes, res.Pods, res.Constraints, res.PodsPerSecond(),
		ms(res.P50), ms(res.P99), ms(res.Duration), ms(res.Running), res.PeakRSS>>20)
	return w.Flush()
}

// benchJSON is the -o json form of a result; the first three fields are the issue's.
func benchJSON(r hollow.Result) any {
	return struct {
		PodsPerSecond  float64 `json:"pods_per_second"`
		P50            float64 `json:"p50_ms"`
		P99            float64 `json:"p99_ms"`
		Nodes          int     `json:"nodes"`
		Pods           int     `json:"pods"`
		Constraints    bool    `json:"constraints"`
		BoundSeconds   float64 `json:"bound_seconds"`
		RunningSeconds float64 `json:"running_seconds"`
		PeakMemory     int64   `json:"peak_memory_bytes"`
	}{
		PodsPerSecond: round(r.PodsPerSecond(), 1), P50: msFloat(r.P50), P99: msFloat(r.P99),
		Nodes: r.Nodes, Pods: r.Pods, Constraints: r.Constraints,
		BoundSeconds: round(r.Duration.Seconds(), 3), RunningSeconds: round(r.Running.Seconds(), 3), PeakMemory: r.PeakRSS,
	}
}

func msFloat(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// ms formats a duration to the millisecond: "850ms", "12.345s".
func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
