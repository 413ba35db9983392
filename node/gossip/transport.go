package gossip

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Stats counts what a member has sent and received since it started. Bytes are what went on the
// wire after encryption: UDP payloads and TCP stream bytes.
type Stats struct {
	PacketsSent     uint64 // UDP datagrams
	PacketsReceived uint64
	StreamsOpened   uint64 // TCP connections dialed or accepted (joins, push/pull, TCP pings)
	BytesSent       uint64
	BytesReceived   uint64
}

// tap sees the traffic of one member. Tests use it to record what goes on the wire or to cut a
// member off the network; production runs without one.
type tap interface {
	// cut reports whether the member is cut off: packets are lost both ways, streams refused.
	cut() bool
	// sent is called with every packet and every stream write, as it goes on the wire.
	sent(b []byte)
}

var errTransportClosed = errors.New("gossip transport closed")

// transport wraps memberlist's NetTransport to count traffic (and to give tests their tap).
type transport struct {
	inner   *memberlist.NetTransport
	tap     tap
	packets chan *memberlist.Packet
	streams chan net.Conn
	closing chan struct{} // Shutdown began: stop handing traffic to memberlist
	closed  chan struct{} // the inner transport is down: stop the forwarders

	packetsSent, packetsReceived, streamsOpened, bytesSent, bytesReceived atomic.Uint64
}

var _ memberlist.NodeAwareTransport = (*transport)(nil)

func newTransport(inner *memberlist.NetTransport, tp tap) *transport {
	t := &transport{
		inner:   inner,
		tap:     tp,
		packets: make(chan *memberlist.Packet),
		streams: make(chan net.Conn),
		closing: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	go t.forwardPackets()
	go t.forwardStreams()
	return t
}

func (t *transport) stats() Stats {
	return Stats{
		PacketsSent:     t.packetsSent.Load(),
		PacketsReceived: t.packetsReceived.Load(),
		StreamsOpened:   t.streamsOpened.Load(),
		BytesSent:       t.bytesSent.Load(),
		BytesReceived:   t.bytesReceived.Load(),
	}
}

func (t *transport) isCut() bool { return t.tap != nil && t.tap.cut() }

func (t *transport) isClosing() bool {
	select {
	case <-t.closing:
		return true
	default:
		return false
	}
}

func (t *transport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return t.inner.FinalAdvertiseAddr(ip, port)
}

func (t *transport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *transport) WriteToAddress(b []byte, addr memberlist.Address) (time.Time, error) {
	if t.isClosing() {
		return time.Time{}, errTransportClosed
	}
	if t.isCut() {
		return time.Now(), nil // lost on the way, as UDP may
	}
	if t.tap != nil {
		t.tap.sent(b)
	}
	now, err := t.inner.WriteToAddress(b, addr)
	if err == nil {
		t.packetsSent.Add(1)
		t.bytesSent.Add(uint64(len(b)))
	}
	return now, err
}

func (t *transport) PacketCh() <-chan *memberlist.Packet { return t.packets }

func (t *transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func (t *transport) DialAddressTimeout(addr memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if t.isClosing() {
		return nil, errTransportClosed
	}
	if t.isCut() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("cut off by test")}
	}
	c, err := t.inner.DialAddressTimeout(addr, timeout)
	if err != nil {
		return nil, err
	}
	t.streamsOpened.Add(1)
	return &countingConn{Conn: c, t: t}, nil
}

func (t *transport) StreamCh() <-chan net.Conn { return t.streams }

// Shutdown stops the inner transport. Its listeners may be blocked handing over a packet or a
// connection, so the forwarders keep draining (and dropping) until it is down.
func (t *transport) Shutdown() error {
	select {
	case <-t.closing:
		return nil
	default:
	}
	close(t.closing)
	err := t.inner.Shutdown()
	close(t.closed)
	return err
}

func (t *transport) forwardPackets() {
	in := t.inner.PacketCh()
	for {
		select {
		case p := <-in:
			if t.isCut() {
				continue
			}
			t.packetsReceived.Add(1)
			t.bytesReceived.Add(uint64(len(p.Buf)))
			select {
			case t.packets <- p:
			case <-t.closing:
			}
		case <-t.closed:
			return
		}
	}
}

func (t *transport) forwardStreams() {
	in := t.inner.StreamCh()
	for {
		select {
		case c := <-in:
			if t.isCut() {
				_ = c.Close()
				continue
			}
			t.streamsOpened.Add(1)
			select {
			case t.streams <- &countingConn{Conn: c, t: t}:
			case <-t.closing:
				_ = c.Close()
			}
		case <-t.closed:
			return
		}
	}
}

// countingConn counts a stream's bytes into its transport's Stats.
type countingConn struct {
	net.Conn
	t *transport
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.t.bytesReceived.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	if c.t.tap != nil {
		c.t.tap.sent(b)
	}
	n, err := c.Conn.Write(b)
	c.t.bytesSent.Add(uint64(n))
	return n, err
}
