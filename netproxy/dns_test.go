package netproxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// testZone is what the lookup of the tests knows: a service by its full and short names, and a
// service with many endpoints, too many for one UDP answer.
func testZone(name string) ([]netip.Addr, bool) {
	switch name {
	case "hello.default.svc.cluster.local", "hello.default", "hello":
		return []netip.Addr{netip.MustParseAddr("10.96.0.10")}, true
	case "many.default.svc.cluster.local":
		return manyAddrs(), true
	}
	return nil, false
}

func manyAddrs() []netip.Addr {
	var addrs []netip.Addr
	for i := range 120 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{10, 88, byte(i / 250), byte(1 + i%250)}))
	}
	return addrs
}

// startDNS runs a DNSServer on 127.0.0.1 and returns its address (the same port for UDP and TCP).
func startDNS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", ln.Addr().String())
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewDNSServer(testZone, nil).Serve(ctx, pc, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// resolver asks the server at addr; network forces "udp" or "tcp", or "" lets Go choose (UDP,
// then TCP when the answer is truncated).
func resolver(addr, network string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, netw, _ string) (net.Conn, error) {
		if network != "" {
			netw = network
		}
		var d net.Dialer
		return d.DialContext(ctx, netw, addr)
	}}
}

func TestDNSResolver(t *testing.T) {
	addr := startDNS(t)
	hello := []netip.Addr{netip.MustParseAddr("10.96.0.10")}
	tests := []struct {
		name    string
		network string
		host    string
		want    []netip.Addr
	}{
		{"udp full name", "udp", "hello.default.svc.cluster.local", hello},
		{"tcp full name", "tcp", "hello.default.svc.cluster.local.", hello},
		{"udp short name", "udp", "hello.default", hello},
		{"any case", "udp", "HELLO.Default.svc.cluster.local", hello},
		{"truncated over udp, asked again over tcp", "", "many.default.svc.cluster.local", manyAddrs()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got, err := resolver(addr, tt.network).LookupNetIP(ctx, "ip", tt.host)
			slices.SortFunc(got, netip.Addr.Compare)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	t.Run("unknown cluster name is NXDOMAIN", func(t *testing.T) {
		_, err := resolver(addr, "udp").LookupNetIP(context.Background(), "ip4", "ghost.default.svc.cluster.local")
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound {
			t.Fatalf("got %v, want a not-found DNSError", err)
		}
	})
}

// query sends one question over UDP and returns the parsed answer.
func query(t *testing.T, addr, name string, typ dnsmessage.Type, edns bool) (dnsmessage.Header, []dnsmessage.Resource) {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 42, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET})
	if edns {
		b.StartAdditionals()
		var rh dnsmessage.ResourceHeader
		rh.SetEDNS0(4096, dnsmessage.RCodeSuccess, false)
		b.OPTResource(rh, dnsmessage.OPTResource{})
	}
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var m dnsmessage.Message
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	if m.ID != 42 || !m.Response || len(m.Questions) != 1 || m.RecursionAvailable {
		t.Fatalf("answer header %+v, questions %v", m.Header, m.Questions)
	}
	return m.Header, m.Answers
}

func TestDNSAnswers(t *testing.T) {
	addr := startDNS(t)
	tests := []struct {
		name      string
		qname     string
		typ       dnsmessage.Type
		edns      bool
		wantRCode dnsmessage.RCode
		wantAA    bool
		wantTC    bool
		answers   int
	}{
		{"A of a service", "hello.default.svc.cluster.local.", dnsmessage.TypeA, false, dnsmessage.RCodeSuccess, true, false, 1},
		{"A of a short name", "hello.", dnsmessage.TypeA, false, dnsmessage.RCodeSuccess, true, false, 1},
		{"AAAA of a service is empty", "hello.default.svc.cluster.local.", dnsmessage.TypeAAAA, false, dnsmessage.RCodeSuccess, true, false, 0},
		{"TXT of a service is empty", "hello.default.svc.cluster.local.", dnsmessage.TypeTXT, false, dnsmessage.RCodeSuccess, true, false, 0},
		{"unknown cluster name", "ghost.default.svc.cluster.local.", dnsmessage.TypeA, false, dnsmessage.RCodeNameError, true, false, 0},
		{"AAAA of an unknown cluster name", "ghost.default.svc.cluster.local.", dnsmessage.TypeAAAA, false, dnsmessage.RCodeNameError, true, false, 0},
		{"outside name: no recursion", "example.com.", dnsmessage.TypeA, false, dnsmessage.RCodeRefused, false, false, 0},
		{"too many for 512 bytes", "many.default.svc.cluster.local.", dnsmessage.TypeA, false, dnsmessage.RCodeSuccess, true, true, 0},
		{"too many for the EDNS size too", "many.default.svc.cluster.local.", dnsmessage.TypeA, true, dnsmessage.RCodeSuccess, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, answers := query(t, addr, tt.qname, tt.typ, tt.edns)
			if h.RCode != tt.wantRCode || h.Authoritative != tt.wantAA || h.Truncated != tt.wantTC || len(answers) != tt.answers {
				t.Fatalf("rcode %v aa %v tc %v, %d answers; want %v %v %v, %d", h.RCode, h.Authoritative, h.Truncated, len(answers), tt.wantRCode, tt.wantAA, tt.wantTC, tt.answers)
			}
			for _, a := range answers {
				if a.Header.TTL != 5 || !strings.EqualFold(a.Header.Name.String(), tt.qname) {
					t.Fatalf("answer %v: want TTL 5 and the question's name", a.Header)
				}
			}
		})
	}
}

func TestDNSRunServesUDPAndTCPOnOnePort(t *testing.T) {
	s := NewDNSServer(testZone, nil)
	if err := s.Run(context.Background(), "256.0.0.1:53"); err == nil {
		t.Fatal("Run on a bad address did not fail")
	}
	// Run picks one free port for both; find it by asking the kernel for a free one first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, addr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	for _, network := range []string{"udp", "tcp"} {
		var got []netip.Addr
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got, err = resolver(addr, network).LookupNetIP(context.Background(), "ip4", "hello"); err == nil {
				break
			}
		}
		if len(got) != 1 || got[0] != netip.MustParseAddr("10.96.0.10") {
			t.Fatalf("%s: got %v, %v", network, got, err)
		}
	}
}
