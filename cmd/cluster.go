package cmd

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/wk-project/wk/node/gossip"
)

// Gossip's default port, as Serf's, Consul's and Nomad's LAN pools.
const defaultGossipPort = "7946"

// outboundIP is the local address this machine uses to reach addr (no packet is sent), or "" when
// there is no route.
func outboundIP(addr string) string {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}

// hostIP is the first non-loopback IPv4 address of this machine, else 127.0.0.1.
func hostIP() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

// advertisedURL replaces the host of an API URL bound to an unspecified address by host.
func advertisedURL(apiURL, host string) string {
	u, err := url.Parse(apiURL)
	if err != nil {
		return apiURL
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		u.Host = net.JoinHostPort(host, u.Port())
	}
	return u.String()
}

// waitForServer waits until gossip shows a control-plane member and returns its API URL, saying
// once a few seconds what it waits for.
func waitForServer(ctx context.Context, g *gossip.Gossip, join string, out io.Writer) (string, error) {
	start := time.Now()
	said := time.Now()
	for {
		for _, m := range g.Members() {
			if m.Meta.Server && m.Meta.API != "" {
				return m.Meta.API, nil
			}
		}
		if time.Since(said) > 5*time.Second {
			fmt.Fprintf(out, "waiting for a wk server through %s (%s)...\n", join, time.Since(start).Round(time.Second))
			said = time.Now()
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// joinCommand is the command that adds a machine to the cluster.
func joinCommand(gossipAddr, token string) string {
	return fmt.Sprintf("wk agent --join %s --token %s", gossipAddr, token)
}
