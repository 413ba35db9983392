package gossip

import (
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func TestNeedRejoin(t *testing.T) {
	t.Parallel()
	srv := Member{Name: "srv", Meta: Meta{Server: true}}
	agent := Member{Name: "other", Meta: Meta{Node: "other"}}
	me := Member{Name: "me"}
	tests := []struct {
		name     string
		self     Meta
		members  []Member
		haveJoin bool
		want     bool
	}{
		{"agent alone", Meta{}, []Member{me}, true, true},
		{"agent alone, nothing to join", Meta{}, []Member{me}, false, true},
		{"agent with a server", Meta{}, []Member{me, srv}, true, false},
		{"agent with agents only", Meta{}, []Member{me, agent}, true, true},
		{"server alone with join", Meta{Server: true}, []Member{me}, true, true},
		{"server alone without join", Meta{Server: true}, []Member{me}, false, false},
		{"server with agents", Meta{Server: true}, []Member{me, agent}, true, false},
		{"server with servers", Meta{Server: true}, []Member{me, srv}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := needRejoin(tt.self, tt.members, "me", tt.haveJoin); got != tt.want {
				t.Errorf("needRejoin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunJoinsWhenTheServerComesUp(t *testing.T) {
	t.Parallel()
	// The agent starts first, pointed at an address where nothing listens yet.
	probe, _, err := create("srv", opts{})
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr()
	_ = probe.shutdown(false)

	a := start(t, "agent", opts{join: []string{addr}})
	a.run(t)
	time.Sleep(2500 * time.Millisecond) // at least one failed attempt
	s := start(t, "srv", opts{bind: addr, meta: Meta{Server: true}})
	s.run(t)
	waitFor(t, 5*time.Second, "the agent to join the late server", seeAll([]*member{a, s}, "agent", "srv"))
}

// shortDeadGossip makes memberlist stop talking to a dead member after 1 s instead of 30 s, so
// that tests reach the state where only Run's re-join brings members back together.
func shortDeadGossip(c *memberlist.Config) { c.GossipToTheDeadTime = time.Second }

func TestRunRejoinsAfterCut(t *testing.T) {
	t.Parallel()
	srv := start(t, "srv", opts{meta: Meta{Server: true}, tune: shortDeadGossip})
	srv.run(t)
	join := []string{srv.Addr()}
	cutA, cutD := &cutTap{}, &cutTap{}
	a := start(t, "agent-a", opts{join: join, tap: cutA, tune: shortDeadGossip})
	a.run(t)
	b := start(t, "agent-b", opts{join: join, tune: shortDeadGossip})
	b.run(t)
	// d is the control: the same as a, but without Run.
	d := start(t, "agent-d", opts{join: join, tap: cutD, tune: shortDeadGossip})
	if _, err := d.Join(join); err != nil {
		t.Fatal(err)
	}
	all := []*member{srv, a, b}
	waitFor(t, 5*time.Second, "the cluster to form", seeAll(append(all, d), "srv", "agent-a", "agent-b", "agent-d"))

	cutA.off.Store(true)
	cutD.off.Store(true)
	waitFor(t, 10*time.Second, "a and d declared dead", seeAll([]*member{srv, b}, "srv", "agent-b"))
	waitFor(t, 10*time.Second, "a and d to see nobody", func() bool {
		return len(a.Members()) == 1 && len(d.Members()) == 1
	})
	time.Sleep(1500 * time.Millisecond) // past GossipToTheDeadTime: nobody talks to a or d now

	healed := time.Now()
	cutA.off.Store(false)
	cutD.off.Store(false)
	waitFor(t, 10*time.Second, "a back everywhere", seeAll(all, "srv", "agent-a", "agent-b"))
	t.Logf("a back %v after the network healed", time.Since(healed).Round(10*time.Millisecond))
	if _, ok := srv.rec.first("agent-a", true, healed); !ok {
		t.Errorf("srv: no OnAlive for agent-a")
	}
	time.Sleep(3 * time.Second)
	if _, ok := srv.sees("agent-d"); ok || len(d.Members()) != 1 {
		t.Errorf("d came back without Run (srv sees %v, d sees %v): the control proves nothing", srv.names(), d.names())
	}
}

func TestRunRejoinsRestartedServer(t *testing.T) {
	t.Parallel()
	srv := start(t, "srv", opts{meta: Meta{Server: true, API: "https://127.0.0.1:6443"}})
	srv.run(t)
	addr := srv.Addr()
	// The agents know the server only through another member's address: only the server's
	// last known address can bring them back.
	a := start(t, "agent-a", opts{})
	a.mustJoin(t, addr)
	a.run(t)
	b := start(t, "agent-b", opts{join: []string{a.Addr()}})
	b.run(t)
	waitFor(t, 5*time.Second, "the cluster to form", seeAll([]*member{srv, a, b}, "srv", "agent-a", "agent-b"))

	killed := time.Now()
	srv.kill()
	srv.stop()
	waitFor(t, 10*time.Second, "srv declared dead", seeAll([]*member{a, b}, "agent-a", "agent-b"))
	t.Logf("srv declared dead %v after it stopped", time.Since(killed).Round(10*time.Millisecond))

	restarted := time.Now()
	srv2 := start(t, "srv", opts{bind: addr, meta: Meta{Server: true, API: "https://127.0.0.1:6443", Version: "v2"}})
	srv2.run(t)
	if !eventually(10*time.Second, seeAll([]*member{srv2, a, b}, "srv", "agent-a", "agent-b")) {
		t.Fatalf("srv not seen again after 10s: srv sees %v, a sees %v, b sees %v", srv2.names(), a.names(), b.names())
	}
	t.Logf("srv seen again %v after its restart", time.Since(restarted).Round(10*time.Millisecond))
	for _, m := range []*member{a, b} {
		if e, ok := m.rec.first("srv", true, restarted); !ok || e.m.Meta.Version != "v2" {
			t.Errorf("%s: OnAlive for the restarted srv: %+v, %v", m.cfg.Name, e, ok)
		}
	}
}

func TestRejoinAddrs(t *testing.T) {
	t.Parallel()
	g := &Gossip{
		cfg:  Config{Name: "me", Join: []string{"10.0.0.1:7946", "10.0.0.9:7946", "10.0.0.2:7946"}},
		addr: "10.0.0.9:7946",
		members: map[string]Member{
			"agent": {Name: "agent", Addr: "10.0.0.2:7946"},
		},
		servers: map[string]string{"s2": "10.0.0.4:7946", "s1": "10.0.0.1:7946", "s3": "10.0.0.3:7946"},
	}
	got := g.rejoinAddrs()
	want := []string{"10.0.0.1:7946", "10.0.0.3:7946", "10.0.0.4:7946"}
	if !slices.Equal(got, want) {
		t.Errorf("rejoinAddrs = %v, want %v (no self, no member in sight, no duplicate)", got, want)
	}
}
