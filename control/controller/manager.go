package controller

import (
	"context"
	"log/slog"
	"sync"
)

// Manager runs the scheduler loop and every controller over one set of shared caches.
type Manager struct {
	cfg Config
	c   Client
	log *slog.Logger

	pods      *Informer
	nodes     *Informer
	rss       *Informer
	deploys   *Informer
	dss       *Informer
	services  *Informer
	endpoints *Informer

	recorder    *recorder
	events      eventSink // source wk-controller-manager
	schedEvents eventSink // source wk-scheduler

	loops     []*loop
	lifecycle *nodeLifecycle
	scheduler *schedulerLoop
}

// New wires the caches, the controllers and the scheduler loop; nothing runs until Run.
func New(cfg Config, c Client) *Manager {
	cfg = cfg.withDefaults()
	m := &Manager{cfg: cfg, c: c, log: cfg.Logger}
	m.pods = NewInformer(podKind, c, m.log, map[string]IndexFunc{indexOwner: ownerIndex, indexOwners: ownersIndex, indexNode: nodeIndex})
	m.nodes = NewInformer(nodeKind, c, m.log, nil)
	m.rss = NewInformer(replicaSetKind, c, m.log, map[string]IndexFunc{indexOwner: ownerIndex, indexOwners: ownersIndex, indexUID: uidIndex})
	m.deploys = NewInformer(deploymentKind, c, m.log, map[string]IndexFunc{indexUID: uidIndex})
	m.dss = NewInformer(daemonSetKind, c, m.log, map[string]IndexFunc{indexUID: uidIndex})
	m.services = NewInformer(serviceKind, c, m.log, nil)
	m.endpoints = NewInformer(endpointsKind, c, m.log, nil)
	m.recorder = newRecorder(c, m.log.With("component", "events"), cfg.Now)
	m.events = eventSink{r: m.recorder, component: componentControllers}
	m.schedEvents = eventSink{r: m.recorder, component: componentScheduler}

	m.lifecycle = newNodeLifecycle(m)
	m.scheduler = newSchedulerLoop(m)
	m.loops = []*loop{
		newReplicaSetController(m).loop,
		newDeploymentController(m).loop,
		newDaemonSetController(m).loop,
		newGarbageCollector(m).loop,
		newEndpointsController(m).loop,
		m.lifecycle.loop,
	}
	return m
}

func (m *Manager) informers() []*Informer {
	return []*Informer{m.pods, m.nodes, m.rss, m.deploys, m.dss, m.services, m.endpoints}
}

// Run runs every loop until ctx ends. The controllers start once every cache holds its first
// list, so that none of them acts on a partial view.
func (m *Manager) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, inf := range m.informers() {
		wg.Go(func() { inf.Run(ctx) })
	}
	wg.Go(func() { m.recorder.run(ctx) })
	for _, inf := range m.informers() {
		select {
		case <-inf.Synced():
		case <-ctx.Done():
			m.shutDown()
			return nil
		}
	}
	m.log.Info("caches synced; starting controllers")
	for _, l := range m.loops {
		wg.Go(func() { l.run(ctx, m.cfg.Workers) })
	}
	wg.Go(func() { m.lifecycle.monitor(ctx) })
	wg.Go(func() { m.scheduler.run(ctx) })
	<-ctx.Done()
	return nil
}

// shutDown stops the queues of loops that never started.
func (m *Manager) shutDown() {
	for _, l := range m.loops {
		l.queue.ShutDown()
	}
	m.scheduler.queue.ShutDown()
}

// MarkNodeDead makes a node NotReady at once, as when gossip reports it dead, instead of after its
// heartbeats go stale; its pods are evicted after the eviction timeout. The next heartbeat of the
// node undoes it.
func (m *Manager) MarkNodeDead(name string) { m.lifecycle.markDead(name) }
