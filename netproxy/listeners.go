package netproxy

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wk-project/wk/control/api"
)

// listenerSetConfig configures a listenerSet.
type listenerSetConfig struct {
	what string // what one listener is, for log messages: "node port", "cluster IP"
	// want maps the Services to the listeners they call for, by listen address ("IP:port"), and
	// says which claims lost to another Service's.
	want      func(services []*api.Service) (map[string]serviceTarget, []string)
	reusePort bool // bind with SO_REUSEADDR and SO_REUSEPORT, sharing the address with others
	dialer    ServiceDialer
	logger    *slog.Logger
	retry     time.Duration // between attempts to bind an address that could not be bound
	dialTO    time.Duration // to open a connection to the Service
}

// listenerSet keeps one TCP listener per address that the Services call for, and splices each
// accepted connection to its Service port through the dialer. update says which Services exist;
// reconcile opens and closes listeners to match. An address that cannot be bound is logged once
// and left for the next reconcile. NodePorts and the ClusterIP listeners are two uses of it.
type listenerSet struct {
	cfg      listenerSetConfig
	accepted atomic.Int64 // connections accepted, for tests

	mu        sync.Mutex
	want      map[string]serviceTarget
	conflicts []string
	running   map[string]*serviceListener // owned by reconcile
	failing   map[string]string           // address -> last bind error, to log changes only
}

func newListenerSet(cfg listenerSetConfig) *listenerSet {
	return &listenerSet{
		cfg:     cfg,
		want:    map[string]serviceTarget{},
		running: map[string]*serviceListener{},
		failing: map[string]string{},
	}
}

// update sets the current Services (all of them: want picks those it serves).
func (s *listenerSet) update(services []*api.Service) {
	want, conflicts := s.cfg.want(services)
	s.mu.Lock()
	s.want, s.conflicts = want, conflicts
	s.mu.Unlock()
}

// reconcile opens, closes and retargets listeners; it reports whether every wanted address is
// bound. Connections live as long as ctx.
func (s *listenerSet) reconcile(ctx context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := s.cfg.logger
	for _, c := range s.conflicts {
		log.Warn(s.cfg.what+" conflict", "detail", c)
	}
	s.conflicts = nil
	running := make(map[string]serviceTarget, len(s.running))
	for addr, l := range s.running {
		running[addr] = *l.target.Load()
	}
	start, stop, retarget := diffListeners(s.want, running)
	for _, addr := range stop {
		s.running[addr].close()
		delete(s.running, addr)
		log.Info(s.cfg.what+" closed", "addr", addr)
	}
	for _, addr := range retarget {
		t := s.want[addr]
		s.running[addr].target.Store(&t)
		log.Info(s.cfg.what+" retargeted", "addr", addr, "service", t.String())
	}
	for addr := range s.failing {
		if _, ok := s.want[addr]; !ok {
			delete(s.failing, addr)
		}
	}
	ok := true
	for _, addr := range start {
		t := s.want[addr]
		l, err := s.listen(ctx, addr, t)
		if err != nil {
			ok = false
			if s.failing[addr] != err.Error() {
				log.Warn(s.cfg.what+" not bound, will retry", "addr", addr, "service", t.String(), "retry", s.cfg.retry, "err", err)
				s.failing[addr] = err.Error()
			}
			continue
		}
		delete(s.failing, addr)
		s.running[addr] = l
		log.Info(s.cfg.what+" listening", "addr", l.ln.Addr().String(), "service", t.String())
	}
	return ok
}

// closeAll closes every listener; connections already spliced outlive it.
func (s *listenerSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, l := range s.running {
		l.close()
		delete(s.running, addr)
	}
}

// listening returns the bound addresses, each with the address its listener reports.
func (s *listenerSet) listening() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.running))
	for addr, l := range s.running {
		out[addr] = l.ln.Addr().String()
	}
	return out
}

// reconcileLoop calls sync at once, then after every kick, and every retry while the last call
// reported that something is left to do; until ctx ends.
func reconcileLoop(ctx context.Context, kick <-chan struct{}, retry time.Duration, sync func(context.Context) bool) {
	for {
		var again <-chan time.Time
		if !sync(ctx) {
			again = time.After(retry)
		}
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-again:
		}
	}
}

// kick wakes a reconcileLoop without blocking; kicks that arrive while one is pending merge.
func kick(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
