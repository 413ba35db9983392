package gossip

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// capture records every packet and stream write a member puts on the wire.
type capture struct {
	mu     sync.Mutex
	writes [][]byte
}

func (c *capture) cut() bool { return false }

func (c *capture) sent(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(b))
}

func (c *capture) all() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// noCompression turns off memberlist's LZW compression, which alone already garbles short
// strings: the tests must show that encryption hides them.
func noCompression(c *memberlist.Config) { c.EnableCompression = false }

func TestNothingInClear(t *testing.T) {
	t.Parallel()
	secrets := []string{
		"capture-server-7f3a", "capture-agent-91bc", "capture-late-2d4e", // names
		"https://10.77.1.9:6443", "node-quartz-55", "10.77.1.9:7443", "v9.8.7-capture", "wasm-capture-rt", // meta
		`"runtimes"`, `"api"`, // meta's JSON keys
	}
	capSrv, capAgent, capLate := &capture{}, &capture{}, &capture{}
	srv := start(t, "capture-server-7f3a", opts{tap: capSrv, tune: noCompression, meta: Meta{
		Server: true, API: "https://10.77.1.9:6443", Version: "v9.8.7-capture", Runtimes: []string{"wasm-capture-rt"},
	}})
	agent := start(t, "capture-agent-91bc", opts{tap: capAgent, tune: noCompression, meta: Meta{Node: "node-quartz-55"}})
	agent.mustJoin(t, srv.Addr())
	waitFor(t, 5*time.Second, "the cluster to form", seeAll([]*member{srv, agent}, "capture-server-7f3a", "capture-agent-91bc"))
	if err := agent.UpdateMeta(Meta{Node: "node-quartz-55", Tunnel: "10.77.1.9:7443"}); err != nil {
		t.Fatal(err)
	}
	late := start(t, "capture-late-2d4e", opts{tap: capLate, tune: noCompression})
	late.mustJoin(t, agent.Addr())
	waitFor(t, 5*time.Second, "the late member to be seen", seeAll([]*member{srv, agent, late},
		"capture-server-7f3a", "capture-agent-91bc", "capture-late-2d4e"))
	time.Sleep(2 * time.Second) // probes, acks and gossip
	late.kill()                 // suspicion and death messages carry names too
	waitFor(t, 10*time.Second, "the late member declared dead", seeAll([]*member{srv, agent}, "capture-server-7f3a", "capture-agent-91bc"))

	var writes [][]byte
	for _, c := range []*capture{capSrv, capAgent, capLate} {
		writes = append(writes, c.all()...)
	}
	stats := srv.Stats()
	t.Logf("captured %d writes; server stats %+v", len(writes), stats)
	if len(writes) < 20 || stats.StreamsOpened == 0 {
		t.Fatalf("captured too little to tell: %d writes, %d streams", len(writes), stats.StreamsOpened)
	}
	stream := bytes.Join(writes, nil) // a secret split across two writes shows up here
	for _, s := range secrets {
		if bytes.Contains(stream, []byte(s)) {
			t.Errorf("%q goes on the wire in clear", s)
		}
	}
}

// TestCaptureSeesClearText is the control of TestNothingInClear: with encryption turned off
// behind New's back, the same capture finds the names and metadata.
func TestCaptureSeesClearText(t *testing.T) {
	t.Parallel()
	plain := func(c *memberlist.Config) {
		noCompression(c)
		c.SecretKey, c.GossipVerifyIncoming, c.GossipVerifyOutgoing = nil, false, false
	}
	capA, capB := &capture{}, &capture{}
	a := start(t, "plain-a-5e1f", opts{tap: capA, tune: plain, meta: Meta{API: "https://10.77.1.9:6443"}})
	b := start(t, "plain-b-8c2d", opts{tap: capB, tune: plain})
	b.mustJoin(t, a.Addr())
	waitFor(t, 5*time.Second, "the cluster to form", seeAll([]*member{a, b}, "plain-a-5e1f", "plain-b-8c2d"))
	stream := bytes.Join(append(capA.all(), capB.all()...), nil)
	for _, s := range []string{"plain-a-5e1f", "plain-b-8c2d", "https://10.77.1.9:6443"} {
		if !bytes.Contains(stream, []byte(s)) {
			t.Errorf("%q not found in clear text: the capture is blind", s)
		}
	}
}
