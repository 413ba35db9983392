package controller

import (
	"log/slog"
	"time"
)

// Config configures the Manager.
type Config struct {
	Logger  *slog.Logger
	Workers int // concurrent syncs per controller

	// NodeMonitorPeriod is how often node heartbeats and evictions are checked.
	NodeMonitorPeriod time.Duration
	// NodeMonitorGracePeriod is how old a node's last heartbeat may be before the node is NotReady.
	NodeMonitorGracePeriod time.Duration
	// PodEvictionTimeout is how long pods stay on a NotReady or unreachable node before they are
	// evicted, unless they tolerate its taint for longer.
	PodEvictionTimeout time.Duration

	// SchedulerBatch is the most pending pods scheduled from one snapshot.
	SchedulerBatch int
	// BindWorkers is how many bindings are written at once.
	BindWorkers int
	// UnschedulableRetry is how long an unschedulable pod waits for a change in the cluster before
	// it is tried again anyway.
	UnschedulableRetry time.Duration

	// Now is the clock; tests make time pass faster with it.
	Now func() time.Time
}

// DefaultConfig returns the defaults: a node that misses its heartbeats for 6 s is NotReady and its
// pods are evicted 2 s later, so that with a 2 s heartbeat a dead node's pods run elsewhere
// within 10 s.
func DefaultConfig() Config {
	return Config{
		Workers:                4,
		NodeMonitorPeriod:      time.Second,
		NodeMonitorGracePeriod: 6 * time.Second,
		PodEvictionTimeout:     2 * time.Second,
		SchedulerBatch:         1000,
		BindWorkers:            32,
		UnschedulableRetry:     time.Minute,
		Now:                    time.Now,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.NodeMonitorPeriod <= 0 {
		c.NodeMonitorPeriod = d.NodeMonitorPeriod
	}
	if c.NodeMonitorGracePeriod <= 0 {
		c.NodeMonitorGracePeriod = d.NodeMonitorGracePeriod
	}
	if c.PodEvictionTimeout <= 0 {
		c.PodEvictionTimeout = d.PodEvictionTimeout
	}
	if c.SchedulerBatch <= 0 {
		c.SchedulerBatch = d.SchedulerBatch
	}
	if c.BindWorkers <= 0 {
		c.BindWorkers = d.BindWorkers
	}
	if c.UnschedulableRetry <= 0 {
		c.UnschedulableRetry = d.UnschedulableRetry
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	return c
}
