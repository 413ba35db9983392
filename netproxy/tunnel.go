package netproxy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/wk-project/wk/control/client"
)

// The node-to-node tunnel carries one pod connection per TCP connection. The receiving node
// authenticates the peer by challenge-response over the join secret, which both nodes hold:
//
//	server -> client: "wkt1" and a 32-byte random nonce
//	client -> server: HMAC-SHA256(secret, "wk-tunnel-v1" | nonce | target) (32 bytes),
//	                  one byte of length, the target "POD_IP:PORT"
//	server -> client: one status byte: 0, then the stream is the pod's; or 1, a byte of length
//	                  and why, and the server closes
//
// The MAC covers the target, so an authentication cannot be replayed for another pod, and the
// nonce makes each one single-use. The tunnel is authenticated, not encrypted: the data crosses
// the network as the pods send it.
const (
	tunnelMagic     = "wkt1"
	tunnelLabel     = "wk-tunnel-v1"
	tunnelNonceSize = 32
	tunnelHandshake = 10 * time.Second
	tunnelOK        = 0
	tunnelRefused   = 1
)

func tunnelMAC(secret string, nonce []byte, target string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(tunnelLabel))
	m.Write(nonce)
	m.Write([]byte(target))
	return m.Sum(nil)
}

// dialTunnel opens a connection to target (a pod on the node whose tunnel listens at addr).
func dialTunnel(ctx context.Context, d *net.Dialer, addr, secret string, target netip.AddrPort) (net.Conn, error) {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	err = tunnelClientHandshake(c, secret, target.String())
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("tunnel %s: %w", addr, err)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

func tunnelClientHandshake(c net.Conn, secret, target string) error {
	c.SetDeadline(time.Now().Add(tunnelHandshake))
	hello := make([]byte, len(tunnelMagic)+tunnelNonceSize)
	if _, err := io.ReadFull(c, hello); err != nil {
		return fmt.Errorf("read challenge: %w", err)
	}
	if string(hello[:len(tunnelMagic)]) != tunnelMagic {
		return errors.New("the peer does not speak the wk tunnel protocol")
	}
	msg := append(tunnelMAC(secret, hello[len(tunnelMagic):], target), byte(len(target)))
	if _, err := c.Write(append(msg, target...)); err != nil {
		return fmt.Errorf("answer challenge: %w", err)
	}
	var status [2]byte
	if _, err := io.ReadFull(c, status[:1]); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if status[0] == tunnelOK {
		return nil
	}
	if _, err := io.ReadFull(c, status[1:]); err != nil {
		return errors.New("refused")
	}
	why := make([]byte, status[1])
	io.ReadFull(c, why)
	return fmt.Errorf("refused: %s", why)
}

// serveTunnel accepts tunnel connections until ctx ends.
func (p *Proxy) serveTunnel(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept node tunnels: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.handleTunnel(ctx, c)
		}()
	}
}

func (p *Proxy) handleTunnel(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	target, err := p.tunnelServerHandshake(ctx, c)
	if err != nil {
		p.log.Warn("node tunnel refused", "peer", c.RemoteAddr().String(), "err", err)
		refuse(c, err)
		c.Close()
		return
	}
	dctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	up, err := p.dialer.DialContext(dctx, "tcp", p.localPodAddr(target).String())
	cancel()
	if err != nil {
		p.log.Debug("node tunnel target unreachable", "peer", c.RemoteAddr().String(), "target", target.String(), "err", err)
		refuse(c, fmt.Errorf("connect to %s: %w", target, err))
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte{tunnelOK}); err != nil {
		c.Close()
		up.Close()
		return
	}
	p.tunnelAccepted.Add(1)
	splice(ctx, c, up)
}

// errTunnelAuth is all a peer that fails authentication learns.
var errTunnelAuth = errors.New("authentication failed")

// tunnelServerHandshake challenges the peer and returns the pod address it asks for, once the
// peer has proved it holds the secret and the address is a pod of this node.
func (p *Proxy) tunnelServerHandshake(ctx context.Context, c net.Conn) (netip.AddrPort, error) {
	c.SetDeadline(time.Now().Add(tunnelHandshake))
	nonce := make([]byte, tunnelNonceSize)
	rand.Read(nonce)
	if _, err := c.Write(append([]byte(tunnelMagic), nonce...)); err != nil {
		return netip.AddrPort{}, err
	}
	msg := make([]byte, sha256.Size+1)
	if _, err := io.ReadFull(c, msg); err != nil {
		return netip.AddrPort{}, fmt.Errorf("read answer: %w", err)
	}
	target := make([]byte, msg[sha256.Size])
	if _, err := io.ReadFull(c, target); err != nil {
		return netip.AddrPort{}, fmt.Errorf("read target: %w", err)
	}
	if !hmac.Equal(msg[:sha256.Size], tunnelMAC(p.cfg.Secret, nonce, string(target))) {
		return netip.AddrPort{}, errTunnelAuth
	}
	addr, err := netip.ParseAddrPort(string(target))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("target %q is not IP:PORT", target)
	}
	self, ok := p.nodes.node(ctx, p.cfg.NodeName)
	if !ok || !self.cidr.IsValid() {
		return netip.AddrPort{}, errors.New("this node's pod CIDR is not known yet")
	}
	if !self.cidr.Contains(addr.Addr()) {
		return netip.AddrPort{}, fmt.Errorf("target %s is not a pod of node %s (%s)", addr, p.cfg.NodeName, self.cidr)
	}
	return addr, nil
}

func refuse(c net.Conn, err error) {
	why := err.Error()
	if len(why) > 255 {
		why = why[:255]
	}
	c.Write(append([]byte{tunnelRefused, byte(len(why))}, why...))
}

// splice runs client.Splice over a and b; the end of ctx closes both.
func splice(ctx context.Context, a, b net.Conn) {
	stop := context.AfterFunc(ctx, func() { a.Close(); b.Close() })
	defer stop()
	client.Splice(a, b)
}
