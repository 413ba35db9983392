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
	conn, err := c.upgrade(ctx, http.MethodGet, "/api/v1/nodes/"+url.PathEscape(node)+"/tunnel", tunnelProtocol)
	if err != nil {
		return nil, fmt.Errorf("open the tunnel of node %s: %w", node, err)
	}
	return conn, nil
}
