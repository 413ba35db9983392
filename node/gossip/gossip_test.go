package gossip

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no name", func(c *Config) { c.Name = "" }, "gossip name: required"},
		{"short key", func(c *Config) { c.Key = []byte("12345") }, "gossip key: must be 32 bytes, got 5"},
		{"no key", func(c *Config) { c.Key = nil }, "gossip key: must be 32 bytes, got 0"},
		{"bind without port", func(c *Config) { c.BindAddr = "127.0.0.1" }, `gossip bind address "127.0.0.1"`},
		{"bind host name", func(c *Config) { c.BindAddr = "localhost:0" }, "host must be an IP address"},
		{"advertise bad port", func(c *Config) { c.Advertise = "10.0.0.1:x" }, `gossip advertise address "10.0.0.1:x": bad port`},
		{"meta too large", func(c *Config) { c.Meta.API = strings.Repeat("x", 600) }, "gossip meta: encodes to 610 bytes, limit 512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Name, cfg.BindAddr, cfg.Key = "a", "127.0.0.1:0", testKey
			tt.edit(&cfg)
			g, err := New(cfg)
			if err == nil {
				_ = g.Close()
				t.Fatalf("New: no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAdvertise(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ advertise, want string }{
		{"", "127.0.0.1:"},
		{"10.1.2.3", "10.1.2.3:"},
		{"10.1.2.3:7000", "10.1.2.3:7000"},
		{"localhost:7001", "127.0.0.1:7001"},
	} {
		cfg := DefaultConfig()
		cfg.Name, cfg.BindAddr, cfg.Key, cfg.Advertise = "a", "127.0.0.1:0", testKey, tt.advertise
		g, err := New(cfg)
		if err != nil {
			t.Fatalf("advertise %q: %v", tt.advertise, err)
		}
		if !strings.HasPrefix(g.Addr(), tt.want) {
			t.Errorf("advertise %q: Addr() = %s, want %s...", tt.advertise, g.Addr(), tt.want)
		}
		if err := g.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
}

func TestClusterMembersAndMeta(t *testing.T) {
	t.Parallel()
	srv := start(t, "srv", opts{meta: Meta{Server: true, API: "https://127.0.0.1:6443", Version: "v1"}})
	a := start(t, "agent-a", opts{meta: Meta{Node: "a", Runtimes: []string{"wasm"}}})
	b := start(t, "agent-b", opts{meta: Meta{Node: "b", Runtimes: []string{"wasm", "runc"}}})
	for _, m := range []*member{a, b} {
		if n, err := m.Join([]string{srv.Addr()}); err != nil || n != 1 {
			t.Fatalf("join: %d, %v", n, err)
		}
	}
	all := []*member{srv, a, b}
	waitFor(t, 5*time.Second, "all members see 3", seeAll(all, "srv", "agent-a", "agent-b"))

	got, _ := b.sees("srv")
	if !got.Meta.Server || got.Meta.API != "https://127.0.0.1:6443" || got.Addr != srv.Addr() {
		t.Errorf("b sees srv as %+v", got)
	}
	got, _ = srv.sees("agent-b")
	if !slices.Equal(got.Meta.Runtimes, []string{"wasm", "runc"}) || got.Meta.Node != "b" {
		t.Errorf("srv sees agent-b as %+v", got)
	}
	if _, ok := a.rec.first("a", true, time.Time{}); ok {
		t.Errorf("OnAlive was called for the member itself")
	}

	before := time.Now()
	newMeta := Meta{Node: "b", Runtimes: []string{"wasm"}, Tunnel: "127.0.0.1:9000", Version: "v2"}
	if err := b.UpdateMeta(newMeta); err != nil {
		t.Fatalf("update meta: %v", err)
	}
	if got, _ := b.sees("agent-b"); got.Meta.Version != "v2" {
		t.Errorf("b sees itself as %+v", got.Meta)
	}
	for _, m := range []*member{srv, a} {
		waitFor(t, 5*time.Second, m.cfg.Name+" sees b's new meta", func() bool {
			got, _ := m.sees("agent-b")
			return got.Meta.Version == "v2" && got.Meta.Tunnel == "127.0.0.1:9000"
		})
		if e, ok := m.rec.first("agent-b", true, before); !ok || e.m.Meta.Version != "v2" {
			t.Errorf("%s: OnAlive for the update: %+v, %v", m.cfg.Name, e, ok)
		}
	}
	if err := b.UpdateMeta(Meta{API: strings.Repeat("x", 600)}); err == nil {
		t.Errorf("UpdateMeta of 600 bytes: no error")
	}
}

func TestLeaveCallsOnDead(t *testing.T) {
	t.Parallel()
	a := start(t, "a", opts{})
	b := start(t, "b", opts{})
	b.mustJoin(t, a.Addr())
	waitFor(t, 5*time.Second, "a sees b", seeAll([]*member{a}, "a", "b"))
	if err := b.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	// A member that leaves is gone at once: no failure detection involved.
	waitFor(t, time.Second, "a's OnDead for b", func() bool { _, ok := a.rec.first("b", false, time.Time{}); return ok })
	if _, err := b.Join([]string{a.Addr()}); !errors.Is(err, ErrClosed) {
		t.Errorf("join after close: %v, want ErrClosed", err)
	}
}

func TestWrongKeyCannotJoin(t *testing.T) {
	t.Parallel()
	a := start(t, "a", opts{})
	b := start(t, "b", opts{})
	b.mustJoin(t, a.Addr())
	otherKey, _ := GenerateKey()
	x := start(t, "intruder", opts{key: otherKey})
	t0 := time.Now()
	n, err := x.Join([]string{a.Addr(), b.Addr()})
	if err == nil || n != 0 {
		t.Fatalf("join with another key: %d, %v; want an error", n, err)
	}
	t.Logf("join refused after %v: %v", time.Since(t0).Round(time.Millisecond), err)
	time.Sleep(2 * time.Second) // give a wrongly admitted member time to show up
	if !seeAll([]*member{a, b}, "a", "b")() {
		t.Errorf("a sees %v, b sees %v", a.names(), b.names())
	}
	if got := x.names(); !slices.Equal(got, []string{"intruder"}) {
		t.Errorf("intruder sees %v", got)
	}
}
