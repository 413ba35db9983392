package netproxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// The cluster DNS server answers the names of services and pods for pods that resolve names the
// usual way, over DNS (runc pods; wasm pods read /net/dns/NAME instead). It is authoritative for
// cluster.local and for the short forms its lookup accepts ("svc", "svc.ns"), and does nothing
// else: it does not recurse, and any other name is REFUSED, so a pod's resolv.conf lists an
// upstream server after it for the outside world.
const (
	dnsTTL      = 5                // seconds: endpoints and cluster IPs change
	dnsUDPSize  = 512              // the largest UDP answer to a query without EDNS
	dnsEDNSSize = 1232             // the largest UDP answer we send when EDNS allows more
	dnsTCPIdle  = 10 * time.Second // a TCP connection without a query for this long is closed
)

// DNSServer serves the cluster's names over UDP and TCP.
type DNSServer struct {
	lookup func(name string) ([]netip.Addr, bool)
	log    *slog.Logger
}

// NewDNSServer returns a server answering from lookup, which gets a name in lower case without
// its final dot ("web.default.svc.cluster.local", "web.default", "web") and returns its addresses
// and whether it knows the name. A nil log discards.
func NewDNSServer(lookup func(name string) ([]netip.Addr, bool), log *slog.Logger) *DNSServer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DNSServer{lookup: lookup, log: log}
}

// Run serves UDP and TCP on addr ("10.88.0.1:53") until ctx ends. With port 0, both use the
// same free port.
func (s *DNSServer) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("dns: listen: %w", err)
	}
	host, _, _ := net.SplitHostPort(addr)
	port := ln.Addr().(*net.TCPAddr).Port
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		ln.Close()
		return fmt.Errorf("dns: listen: %w", err)
	}
	return s.Serve(ctx, pc, ln)
}

// Serve answers the queries that come on pc (UDP) and ln (TCP) until ctx ends, then closes both.
func (s *DNSServer) Serve(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { pc.Close(); ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errc <- s.serveUDP(pc) }()
	go func() { defer wg.Done(); errc <- s.serveTCP(ctx, ln, &wg) }()
	err := <-errc
	pc.Close() // either loop ending ends both
	ln.Close()
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (s *DNSServer) serveUDP(pc net.PacketConn) error {
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("dns: read udp: %w", err)
		}
		if resp := s.answer(buf[:n], true); resp != nil {
			if _, err := pc.WriteTo(resp, from); err != nil {
				s.log.Debug("dns: write udp", "to", from.String(), "err", err)
			}
		}
	}
}

// serveTCP accepts connections, each served by a goroutine that wg waits for.
func (s *DNSServer) serveTCP(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("dns: accept tcp: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			defer stop()
			s.serveConn(conn)
		}()
	}
}

// serveConn answers length-prefixed queries on one TCP connection (RFC 1035 4.2.2).
func (s *DNSServer) serveConn(conn net.Conn) {
	defer conn.Close()
	var size [2]byte
	for {
		conn.SetDeadline(time.Now().Add(dnsTCPIdle))
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(conn, msg); err != nil {
			return
		}
		resp := s.answer(msg, false)
		if resp == nil {
			return
		}
		out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(resp)), uint16(len(resp)))
		if _, err := conn.Write(append(out, resp...)); err != nil {
			return
		}
	}
}

// answer is the answer to the query msg, or nil when msg gets none (not a query, or not even a
// header). An answer over UDP that does not fit the size the client allows is sent truncated,
// without records, so that the client asks again over TCP.
func (s *DNSServer) answer(msg []byte, udp bool) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || h.Response {
		return nil
	}
	reply := dnsmessage.Header{ID: h.ID, Response: true, OpCode: h.OpCode, RecursionDesired: h.RecursionDesired}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		reply.RCode = dnsmessage.RCodeFormatError
		return dnsBuild(reply, qs, nil, 0)
	}
	q := qs[0]
	edns := dnsEDNSOf(&p)
	if h.OpCode != 0 {
		reply.RCode = dnsmessage.RCodeNotImplemented
		return dnsBuild(reply, qs, nil, edns)
	}
	var addrs []netip.Addr
	reply.RCode, addrs = s.resolve(q)
	reply.Authoritative = reply.RCode != dnsmessage.RCodeRefused
	resp := dnsBuild(reply, qs, addrs, edns)
	limit := dnsUDPSize
	if edns > 0 {
		limit = max(dnsUDPSize, min(edns, dnsEDNSSize))
	}
	if udp && len(resp) > limit {
		reply.Truncated = true
		resp = dnsBuild(reply, qs, nil, edns)
	}
	return resp
}

// resolve decides the answer to one question: the addresses of a known name for A (IPv4) and
// AAAA (IPv6, none in a cluster of IPv4 pods), no records for its other types, NXDOMAIN for an
// unknown name under cluster.local, and REFUSED for any other name: the server does not recurse.
func (s *DNSServer) resolve(q dnsmessage.Question) (dnsmessage.RCode, []netip.Addr) {
	if q.Class != dnsmessage.ClassINET && q.Class != dnsmessage.ClassANY {
		return dnsmessage.RCodeRefused, nil
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	addrs, ok := s.lookup(name)
	switch {
	case !ok && (name == ClusterDomain || strings.HasSuffix(name, "."+ClusterDomain)):
		return dnsmessage.RCodeNameError, nil
	case !ok:
		return dnsmessage.RCodeRefused, nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if (q.Type == dnsmessage.TypeA && a.Is4()) || (q.Type == dnsmessage.TypeAAAA && a.Is6()) {
			out = append(out, a)
		}
	}
	return dnsmessage.RCodeSuccess, out
}

// dnsEDNSOf is the UDP payload size the query's EDNS record allows, or 0 without one.
func dnsEDNSOf(p *dnsmessage.Parser) int {
	if p.SkipAllAnswers() != nil || p.SkipAllAuthorities() != nil {
		return 0
	}
	for {
		h, err := p.AdditionalHeader()
		if err != nil {
			return 0
		}
		if h.Type == dnsmessage.TypeOPT {
			return int(h.Class)
		}
		if p.SkipAdditional() != nil {
			return 0
		}
	}
}

// dnsBuild encodes an answer: the questions, an A or AAAA record for each address, and an EDNS
// record when the query had one (edns > 0).
func dnsBuild(h dnsmessage.Header, qs []dnsmessage.Question, addrs []netip.Addr, edns int) []byte {
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), h)
	b.EnableCompression()
	err := b.StartQuestions()
	for _, q := range qs {
		err = errors.Join(err, b.Question(q))
	}
	err = errors.Join(err, b.StartAnswers())
	for _, a := range addrs {
		rh := dnsmessage.ResourceHeader{Name: qs[0].Name, Class: dnsmessage.ClassINET, TTL: dnsTTL}
		if a.Is4() {
			err = errors.Join(err, b.AResource(rh, dnsmessage.AResource{A: a.As4()}))
		} else {
			err = errors.Join(err, b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()}))
		}
	}
	if edns > 0 {
		err = errors.Join(err, b.StartAdditionals())
		var rh dnsmessage.ResourceHeader
		err = errors.Join(err, rh.SetEDNS0(dnsEDNSSize, dnsmessage.RCodeSuccess, false))
		err = errors.Join(err, b.OPTResource(rh, dnsmessage.OPTResource{}))
	}
	msg, ferr := b.Finish()
	if err != nil || ferr != nil {
		return nil // only a question that does not encode again, which Parser already refused
	}
	return msg
}
