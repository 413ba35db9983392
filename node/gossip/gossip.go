package gossip

import (
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Config configures one member.
type Config struct {
	Name      string   // unique member name
	BindAddr  string   // "0.0.0.0:7946"; port 0 picks a free port (the same one for TCP and UDP)
	Advertise string   // optional "host" or "host:port" the others should use; default: the bound address
	Key       []byte   // KeySize bytes, required: all traffic is encrypted with AES-256-GCM
	Meta      Meta     // what this member tells the others
	Join      []string // addresses to join, and to re-join (see Run)

	// Failure detection. A member that stops answering is suspected after a failed probe and
	// declared dead SuspicionMult*max(1, log10(members))*ProbeInterval later: the defaults
	// declare it dead within about 2 s for 3 members and 3 s for 50 on a LAN. With
	// SuspicionMult at 2 memberlist waits for no confirmations, so SuspicionMaxTimeoutMult only
	// matters for SuspicionMult > 2 (the timeout starts that many times longer and shrinks as
	// other members confirm the suspicion). Zero values take the defaults.
	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	SuspicionMult           int
	SuspicionMaxTimeoutMult int

	OnAlive func(Member) // a member joined, came back, or changed its metadata (never this member)
	OnDead  func(Member) // a member was declared dead, or left (never this member)
	Logger  *slog.Logger // memberlist's own log goes here at debug level; nil discards it
}

// DefaultConfig returns the configuration of a LAN cluster on the standard port.
func DefaultConfig() Config {
	return Config{
		BindAddr:                "0.0.0.0:7946",
		ProbeInterval:           500 * time.Millisecond,
		ProbeTimeout:            300 * time.Millisecond,
		SuspicionMult:           2,
		SuspicionMaxTimeoutMult: 2,
	}
}

const (
	updateTimeout = 5 * time.Second // UpdateMeta's wait for the broadcast to go out
	leaveTimeout  = time.Second     // Close's wait for the leave broadcast to go out
	// deadNodeReclaimTime is how long a dead member's name stays bound to its old address. After
	// it, the name may come back from another address (an agent restarted on a new port).
	deadNodeReclaimTime = 5 * time.Second
)

// ErrClosed is returned by the methods of a Gossip that was closed.
var ErrClosed = errors.New("gossip: closed")

// Gossip is this process's membership in the cluster.
type Gossip struct {
	cfg    Config
	log    *slog.Logger
	ml     *memberlist.Memberlist
	tr     *transport
	events *queue
	addr   string // advertised host:port

	mu      sync.Mutex
	closed  bool
	meta    []byte            // encoded self Meta, served to memberlist
	self    Meta              // decoded self Meta
	members map[string]Member // other alive (or suspected) members, as the events told
	servers map[string]string // server name -> its last known gossip address

	// serversUp are the addresses of servers that joined or came back since Run last looked;
	// serverUp wakes Run for them.
	serversUp map[string]bool
	serverUp  chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// options are what tests may change beyond Config.
type options struct {
	tap  tap                      // sees and may cut this member's traffic
	tune func(*memberlist.Config) // adjusts memberlist's config last
}

// New creates the member and binds its sockets. It joins nobody yet: see Join and Run.
func New(cfg Config) (*Gossip, error) { return newGossip(cfg, options{}) }

func newGossip(cfg Config, opts options) (*Gossip, error) {
	cfg = withDefaults(cfg)
	if cfg.Name == "" {
		return nil, errors.New("gossip name: required")
	}
	if err := checkKey(cfg.Key); err != nil {
		return nil, err
	}
	meta, err := encodeMeta(cfg.Meta)
	if err != nil {
		return nil, err
	}
	bindHost, bindPort, err := parseBind(cfg.BindAddr)
	if err != nil {
		return nil, err
	}
	advHost, advPort, err := parseAdvertise(cfg.Advertise)
	if err != nil {
		return nil, err
	}
	logger, stdlog := cfg.Logger, log.New(io.Discard, "", 0)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	} else {
		stdlog = slog.NewLogLogger(logger.Handler(), slog.LevelDebug)
	}

	nt, err := listen(bindHost, bindPort, stdlog)
	if err != nil {
		return nil, err
	}
	bindPort = nt.GetAutoBindPort()
	if advHost != "" && advPort == 0 {
		advPort = bindPort
	}

	g := &Gossip{
		cfg:       cfg,
		log:       logger,
		tr:        newTransport(nt, opts.tap),
		meta:      meta,
		self:      cfg.Meta,
		members:   make(map[string]Member),
		servers:   make(map[string]string),
		serversUp: make(map[string]bool),
		serverUp:  make(chan struct{}, 1),
	}
	g.events = newQueue(cfg.OnAlive, cfg.OnDead)

	mc := memberlistConfig(cfg, g, stdlog)
	mc.BindAddr, mc.BindPort = bindHost, bindPort
	mc.AdvertiseAddr, mc.AdvertisePort = advHost, advPort
	if opts.tune != nil {
		opts.tune(mc)
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		_ = g.tr.Shutdown()
		g.events.close()
		return nil, fmt.Errorf("gossip start %s: %w", cfg.Name, err)
	}
	g.ml = ml
	g.addr = ml.LocalNode().Address()
	return g, nil
}

func withDefaults(cfg Config) Config {
	def := DefaultConfig()
	if cfg.BindAddr == "" {
		cfg.BindAddr = def.BindAddr
	}
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = def.ProbeInterval
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = def.ProbeTimeout
	}
	if cfg.SuspicionMult <= 0 {
		cfg.SuspicionMult = def.SuspicionMult
	}
	if cfg.SuspicionMaxTimeoutMult <= 0 {
		cfg.SuspicionMaxTimeoutMult = def.SuspicionMaxTimeoutMult
	}
	cfg.Join = slices.Clone(cfg.Join)
	cfg.Key = slices.Clone(cfg.Key)
	return cfg
}

func memberlistConfig(cfg Config, g *Gossip, stdlog *log.Logger) *memberlist.Config {
	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.Name
	mc.Transport = g.tr
	mc.SecretKey = cfg.Key
	mc.GossipVerifyIncoming = true
	mc.GossipVerifyOutgoing = true
	mc.ProbeInterval = cfg.ProbeInterval
	mc.ProbeTimeout = cfg.ProbeTimeout
	mc.SuspicionMult = cfg.SuspicionMult
	mc.SuspicionMaxTimeoutMult = cfg.SuspicionMaxTimeoutMult
	mc.DeadNodeReclaimTime = deadNodeReclaimTime
	mc.Delegate = delegate{g}
	mc.Events = delegate{g}
	mc.Logger = stdlog
	return mc
}

// listen binds the TCP and UDP sockets. A dynamic port is retried a few times, as memberlist
// does: the port the kernel gave TCP may be taken for UDP.
func listen(host string, port int, stdlog *log.Logger) (*memberlist.NetTransport, error) {
	tries := 1
	if port == 0 {
		tries = 10
	}
	var err error
	for range tries {
		var nt *memberlist.NetTransport
		nt, err = memberlist.NewNetTransport(&memberlist.NetTransportConfig{
			BindAddrs: []string{host},
			BindPort:  port,
			Logger:    stdlog,
		})
		if err == nil {
			return nt, nil
		}
	}
	return nil, fmt.Errorf("gossip bind %s: %w", net.JoinHostPort(host, strconv.Itoa(port)), err)
}

func parseBind(s string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("gossip bind address %q: %w", s, err)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("gossip bind address %q: host must be an IP address", s)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("gossip bind address %q: bad port", s)
	}
	return host, int(port), nil
}

// parseAdvertise reads "host" or "host:port" and resolves the host to an IP address. An empty
// string is no advertise address; port 0 means the bound port.
func parseAdvertise(s string) (string, int, error) {
	if s == "" {
		return "", 0, nil
	}
	host, port := s, 0
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return "", 0, fmt.Errorf("gossip advertise address %q: bad port", s)
		}
		host, port = h, int(n)
	}
	host = strings.Trim(host, "[]")
	if net.ParseIP(host) != nil {
		return host, port, nil
	}
	ip, err := net.ResolveIPAddr("ip", host)
	if err != nil {
		return "", 0, fmt.Errorf("gossip advertise address %q: %w", s, err)
	}
	return ip.IP.String(), port, nil
}

// Addr returns the host:port the other members reach this one at.
func (g *Gossip) Addr() string { return g.addr }

// Stats returns the traffic counted since New.
func (g *Gossip) Stats() Stats { return g.tr.stats() }

// Members returns the alive members, this one included, sorted by name. A member suspected of
// being dead is still listed until it is declared dead.
func (g *Gossip) Members() []Member {
	g.mu.Lock()
	out := make([]Member, 0, len(g.members)+1)
	out = append(out, Member{Name: g.cfg.Name, Addr: g.addr, Meta: g.self})
	for _, m := range g.members {
		out = append(out, m)
	}
	g.mu.Unlock()
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Join contacts the members at addrs ("host:port", or "host" for this member's port) and
// exchanges the full state with each. It returns how many answered; the error is set only if
// none did.
func (g *Gossip) Join(addrs []string) (int, error) {
	if g.isClosed() {
		return 0, ErrClosed
	}
	n, err := g.ml.Join(addrs)
	if err != nil {
		return n, fmt.Errorf("gossip join %s: %w", strings.Join(addrs, ","), flatten(err))
	}
	return n, nil
}

// flatten turns memberlist's multi-line list of errors into one line.
func flatten(err error) error {
	if multi, ok := err.(interface{ WrappedErrors() []error }); ok {
		return listError(multi.WrappedErrors())
	}
	return err
}

// listError is a list of errors on one line.
type listError []error

func (l listError) Unwrap() []error { return l }

func (l listError) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// UpdateMeta changes what this member tells the others, and waits (a few seconds at most) until
// the change has been gossiped.
func (g *Gossip) UpdateMeta(m Meta) error {
	b, err := encodeMeta(m)
	if err != nil {
		return err
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrClosed
	}
	g.meta, g.self = b, m
	g.mu.Unlock()
	if err := g.ml.UpdateNode(updateTimeout); err != nil {
		return fmt.Errorf("gossip update meta: %w", err)
	}
	return nil
}

// Close leaves the cluster (waiting a second at most for the others to hear it), closes the
// sockets and waits for the last callback to return. Run calls it when its context ends.
func (g *Gossip) Close() error { return g.shutdown(true) }

// shutdown stops the member; without leave the others find out by failure detection.
func (g *Gossip) shutdown(leave bool) error {
	g.closeOnce.Do(func() {
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		if leave {
			if err := g.ml.Leave(leaveTimeout); err != nil {
				// The others will declare this member dead instead of left: not an error.
				g.log.Debug("gossip leave", "err", err)
			}
		}
		if err := g.ml.Shutdown(); err != nil {
			g.closeErr = fmt.Errorf("gossip shutdown: %w", err)
		}
		g.events.close()
	})
	return g.closeErr
}

func (g *Gossip) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// observe records a membership event and queues it for the callbacks. memberlist calls it with
// its locks held.
func (g *Gossip) observe(m Member, c change) {
	if m.Name == g.cfg.Name {
		return
	}
	g.mu.Lock()
	switch {
	case c == gone:
		delete(g.members, m.Name)
	case m.Meta.Server:
		g.members[m.Name] = m
		g.servers[m.Name] = m.Addr
		if c == joined {
			g.serversUp[m.Addr] = true
		}
	default:
		g.members[m.Name] = m
		delete(g.servers, m.Name)
	}
	g.mu.Unlock()
	if c == joined && m.Meta.Server {
		select {
		case g.serverUp <- struct{}{}:
		default:
		}
	}
	g.events.push(event{m: m, alive: c != gone})
}
