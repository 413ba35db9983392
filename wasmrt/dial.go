package wasmrt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"
)

// dialTimeout bounds how long opening /net/tcp/HOST:PORT may take.
const dialTimeout = 30 * time.Second

var (
	errEgressDenied = errors.New("egress denied")
	errBadTarget    = errors.New("want HOST:PORT")
)

// dial opens an outbound TCP connection to target, HOST:PORT, for the
// sandbox.
func (s *Sandbox) dial(ctx context.Context, target string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("dial %q: %w", target, errBadTarget)
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	dest, err := s.destination(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	conn, err := s.cfg.Dialer.DialContext(ctx, "tcp", net.JoinHostPort(dest, port))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

// destination is the host the Dialer receives for host: the pod's address
// for localhost, an allowed address under DenyEgress, else host itself.
func (s *Sandbox) destination(ctx context.Context, host string) (string, error) {
	if host == "localhost" {
		return s.loopback(netip.IPv4Unspecified())
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || ip == netip.IPv6Loopback() {
			return s.loopback(ip)
		}
		if s.cfg.DenyEgress && !s.internal(ip) {
			return "", fmt.Errorf("%s: %w", ip, errEgressDenied)
		}
		return ip.String(), nil
	}
	if !s.cfg.DenyEgress {
		return host, nil
	}
	ips, err := s.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", host, err)
	}
	if i := slices.IndexFunc(ips, s.internal); i >= 0 {
		return ips[i].Unmap().String(), nil
	}
	return "", fmt.Errorf("%s: %w", host, errEgressDenied)
}

// loopback is the pod's own address, which localhost means in a pod; a
// sandbox without one keeps ip.
func (s *Sandbox) loopback(ip netip.Addr) (string, error) {
	switch {
	case s.cfg.Addr.IsValid():
		return s.cfg.Addr.String(), nil
	case ip.IsUnspecified():
		return "127.0.0.1", nil
	default:
		return ip.String(), nil
	}
}

// internal reports whether DenyEgress lets the pod reach ip.
func (s *Sandbox) internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	return slices.ContainsFunc(s.cfg.Internal, func(p netip.Prefix) bool { return p.Contains(ip) })
}
