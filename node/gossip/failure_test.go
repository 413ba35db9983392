package gossip

import (
	"testing"
	"time"
)

// cluster starts members named names; all join the first.
func cluster(t *testing.T, names ...string) []*member {
	t.Helper()
	ms := make([]*member, len(names))
	for i, n := range names {
		ms[i] = start(t, n, opts{})
		if i > 0 {
			ms[i].mustJoin(t, ms[0].Addr())
		}
	}
	waitFor(t, 5*time.Second, "the cluster to form", seeAll(ms, names...))
	return ms
}

func TestDeadMemberDetected(t *testing.T) {
	t.Parallel()
	ms := cluster(t, "a", "b", "c")
	killed := time.Now()
	ms[2].kill()
	for _, m := range ms[:2] {
		waitFor(t, 10*time.Second, m.cfg.Name+"'s OnDead for c", func() bool {
			_, ok := m.rec.first("c", false, killed)
			return ok
		})
		e, _ := m.rec.first("c", false, killed)
		t.Logf("%s: c declared dead %v after it stopped (3 members)", m.cfg.Name, e.at.Sub(killed).Round(10*time.Millisecond))
	}
	waitFor(t, time.Second, "c gone from the lists", seeAll(ms[:2], "a", "b"))
}

// A member restarted under its name comes back: memberlist has it dead (or alive) at an older
// incarnation, the new process learns that in its first push/pull and refutes it with a higher one.
func TestRestartedMemberAliveAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		waitDead bool
	}{
		{"after declared dead", true},
		{"before detection", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ms := cluster(t, "a", "b", "c")
			addr := ms[2].Addr()
			killed := time.Now()
			ms[2].kill()
			if tt.waitDead {
				waitFor(t, 10*time.Second, "c dead", seeAll(ms[:2], "a", "b"))
			}
			restarted := time.Now()
			c := start(t, "c", opts{bind: addr, meta: Meta{Version: "v2"}})
			c.mustJoin(t, ms[0].Addr())
			all := []*member{ms[0], ms[1], c}
			waitFor(t, 10*time.Second, "c alive again everywhere", seeAll(all, "a", "b", "c"))
			for _, m := range ms[:2] {
				waitFor(t, 5*time.Second, m.cfg.Name+" sees c's new meta", func() bool {
					got, _ := m.sees("c")
					return got.Meta.Version == "v2"
				})
			}
			if tt.waitDead {
				if _, ok := ms[0].rec.first("c", true, restarted); !ok {
					t.Errorf("a: no OnAlive for the restarted c")
				}
			}
			t.Logf("c seen again %v after restart (%v after kill)", time.Since(restarted).Round(10*time.Millisecond), time.Since(killed).Round(10*time.Millisecond))
		})
	}
}
