package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// tunnelProtocol is the Upgrade token of a node's tunnel (control/apiserver says the same).
const tunnelProtocol = "wk-tunnel"

// Tunnel opens the tunnel of node: a connection to the API server, switched from HTTP, on which
// the server opens streams to the node's agent (the agent runs a yamux server on it). ctx bounds
// the opening; closing the connection ends the tunnel.
func (c *Client) Tunnel(ctx context.Context, node string) (io.ReadWriteCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/nodes/"+url.PathEscape(node)+"/tunnel", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", tunnelProtocol)
	resp, err := c.stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open the tunnel of node %s: %w", node, unwrapURLError(err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return nil, fmt.Errorf("open the tunnel of node %s: %w", node, decodeStatus(resp))
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return nil, fmt.Errorf("open the tunnel of node %s: the server switched protocols without a writable connection", node)
	}
	return conn, nil
}
