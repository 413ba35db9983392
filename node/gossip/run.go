package gossip

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

const (
	// rejoinInterval is how often Run tries to join, and checks whether it should join again.
	rejoinInterval = 2 * time.Second
	// syncFanout is how many members, on average, exchange state with a server that came back.
	syncFanout = 4
)

// Run keeps this member in the cluster until ctx ends, then leaves and closes it.
//
// It first joins cfg.Join, trying again every 2 s until one of them answers. Afterwards it
// checks every 2 s: an agent (not a server) that sees no other server, or any member with
// cfg.Join set that sees no other member at all, joins again cfg.Join plus the last known
// addresses of the servers it has seen. memberlist alone never does this: once a member has been
// dead for longer than GossipToTheDeadTime (30 s) nobody talks to it any more, so an agent cut off
// longer than that, or agents whose server restarted, would stay apart for good.
//
// And whenever a server joins or comes back, Run may exchange the full state with it at once. A
// restarted server may be seen alive again by the agents before it knows them (its refutation
// rides on an ack); without this it would learn them only at the next periodic push/pull,
// 30 to 90 s later. One exchange is enough to teach it the whole cluster, so in a cluster of n
// members each does it with probability syncFanout/n: about syncFanout of them, not a herd.
func (g *Gossip) Run(ctx context.Context) error {
	ticker := time.NewTicker(rejoinInterval)
	defer ticker.Stop()
	r := rejoiner{g: g, joined: len(g.cfg.Join) == 0}
	for {
		if !r.joined || g.cutOff() {
			r.join(ctx, g.rejoinAddrs())
		}
		select {
		case <-ctx.Done():
			return g.Close()
		case <-ticker.C:
		case <-g.serverUp:
			g.syncServers(rand.Float64() < float64(syncFanout)/float64(len(g.Members())))
		}
	}
}

// rejoiner joins and logs the outcome once per change.
type rejoiner struct {
	g       *Gossip
	joined  bool
	failing bool
}

func (r *rejoiner) join(ctx context.Context, addrs []string) {
	if len(addrs) == 0 || ctx.Err() != nil {
		return
	}
	n, err := r.g.Join(addrs)
	switch {
	case err != nil && !r.failing:
		r.g.log.Warn("gossip join failed, retrying every 2s", "addrs", addrs, "err", err)
		r.failing = true
	case err == nil:
		r.g.log.Info("gossip joined", "addrs", addrs, "answered", n, "members", len(r.g.Members()))
		r.joined, r.failing = true, false
	}
}

// syncServers exchanges the full state with the servers that joined or came back, if sync.
func (g *Gossip) syncServers(sync bool) {
	g.mu.Lock()
	var addrs []string
	for a := range g.serversUp {
		if a != g.addr {
			addrs = append(addrs, a)
		}
	}
	clear(g.serversUp)
	g.mu.Unlock()
	slices.Sort(addrs)
	if len(addrs) == 0 || !sync {
		return
	}
	if _, err := g.Join(addrs); err != nil {
		g.log.Debug("gossip sync with servers", "addrs", addrs, "err", err)
	}
}

// cutOff reports whether this member should look for the cluster again.
func (g *Gossip) cutOff() bool {
	g.mu.Lock()
	self := g.self
	g.mu.Unlock()
	return needRejoin(self, g.Members(), g.cfg.Name, len(g.cfg.Join) > 0)
}

// needRejoin is the rule of cutOff: an agent that sees no other server, or a member with join
// addresses that sees nobody else.
func needRejoin(self Meta, members []Member, selfName string, haveJoin bool) bool {
	others, servers := 0, 0
	for _, m := range members {
		if m.Name == selfName {
			continue
		}
		others++
		if m.Meta.Server {
			servers++
		}
	}
	if !self.Server && servers == 0 {
		return true
	}
	return haveJoin && others == 0
}

// rejoinAddrs returns cfg.Join plus the last addresses of the servers seen, without the
// addresses of the members this one sees (itself included): exchanging state with a member it
// already gossips with would not help, and every agent doing so every 2 s would load it.
func (g *Gossip) rejoinAddrs() []string {
	seen := make(map[string]bool)
	for _, m := range g.Members() {
		seen[m.Addr] = true
	}
	g.mu.Lock()
	known := make([]string, 0, len(g.servers))
	for _, a := range g.servers {
		known = append(known, a)
	}
	g.mu.Unlock()
	slices.Sort(known)
	var addrs []string
	for _, a := range append(slices.Clone(g.cfg.Join), known...) {
		if !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	return addrs
}
