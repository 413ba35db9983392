package gossip

import (
	"cmp"
	"context"
	"flag"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

var memberlistLog = flag.String("memberlist-log", "", "print to stderr the memberlist log of the members whose names match this regexp")

var testKey = func() []byte {
	k, err := GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}()

// opts describe a test member; the zero value is a member on 127.0.0.1 with a free port.
type opts struct {
	bind string // default "127.0.0.1:0"
	key  []byte // default testKey
	meta Meta
	join []string
	tap  tap
	tune func(*memberlist.Config)
}

// member is a Gossip under test with the events it reported.
type member struct {
	*Gossip
	rec  *recorder
	stop func() // ends Run, if running
}

func start(t testing.TB, name string, o opts) *member {
	t.Helper()
	g, rec, err := create(name, o)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	m := &member{Gossip: g, rec: rec, stop: func() {}}
	t.Cleanup(func() {
		m.stop()
		_ = g.Close()
	})
	return m
}

func create(name string, o opts) (*Gossip, *recorder, error) {
	cfg := DefaultConfig()
	cfg.Name = name
	cfg.BindAddr = cmp.Or(o.bind, "127.0.0.1:0")
	cfg.Key = testKey
	if o.key != nil {
		cfg.Key = o.key
	}
	cfg.Meta = o.meta
	cfg.Join = o.join
	if *memberlistLog != "" && regexp.MustCompile(*memberlistLog).MatchString(name) {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("member", name)
	}
	rec := newRecorder()
	cfg.OnAlive, cfg.OnDead = rec.onAlive, rec.onDead
	g, err := newGossip(cfg, options{tap: o.tap, tune: o.tune})
	return g, rec, err
}

// run starts Run in the background; stop cancels it and waits for it to return.
func (m *member) run(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	m.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run %s: %v", m.cfg.Name, err)
		}
		m.stop = func() {}
	}
}

// mustJoin joins addrs, failing the test if none answers.
func (m *member) mustJoin(t testing.TB, addrs ...string) {
	t.Helper()
	if _, err := m.Join(addrs); err != nil {
		t.Fatalf("join %s: %v", m.cfg.Name, err)
	}
}

// kill stops the member without leaving, as a crash or a cut cable would.
func (m *member) kill() { _ = m.shutdown(false) }

func (m *member) names() []string {
	var out []string
	for _, x := range m.Members() {
		out = append(out, x.Name)
	}
	return out
}

func (m *member) sees(name string) (Member, bool) {
	for _, x := range m.Members() {
		if x.Name == name {
			return x, true
		}
	}
	return Member{}, false
}

// recorded is one callback.
type recorded struct {
	m     Member
	alive bool
	at    time.Time
}

type recorder struct {
	mu     sync.Mutex
	events []recorded
}

func newRecorder() *recorder { return &recorder{} }

func (r *recorder) onAlive(m Member) { r.add(m, true) }
func (r *recorder) onDead(m Member)  { r.add(m, false) }

func (r *recorder) add(m Member, alive bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, recorded{m: m, alive: alive, at: time.Now()})
}

// first returns the first callback about name, alive or dead, at or after since.
func (r *recorder) first(name string, alive bool, since time.Time) (recorded, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.m.Name == name && e.alive == alive && !e.at.Before(since) {
			return e, true
		}
	}
	return recorded{}, false
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seeAll reports whether every member lists exactly names.
func seeAll(ms []*member, names ...string) func() bool {
	slices.Sort(names)
	return func() bool {
		for _, m := range ms {
			if !slices.Equal(m.names(), names) {
				return false
			}
		}
		return true
	}
}

// cutTap cuts a member off the network while set.
type cutTap struct{ off atomic.Bool }

func (c *cutTap) cut() bool   { return c.off.Load() }
func (c *cutTap) sent([]byte) {}

// TestMain runs more tests at once than there are CPUs unless -test.parallel says otherwise:
// the tests here mostly wait for timers, and run one after the other they take over a minute.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "8")
	}
	os.Exit(m.Run())
}
