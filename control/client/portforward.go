package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// PortForwardProtocol is the Upgrade token of POST .../pods/NAME/portforward (control/apiserver and
// node say the same): after the switch the connection carries the bytes of one TCP connection to
// the pod's port.
const PortForwardProtocol = "wk-portforward"

// PortForward opens a connection to port of a pod, through the API server and the tunnel of the
// pod's node. ctx bounds the opening; closing the connection ends it. A pod that is not running, or
// a port nobody listens on, is an *api.StatusError.
func (c *Client) PortForward(ctx context.Context, ns, pod string, port int) (io.ReadWriteCloser, error) {
	path := "/api/v1/namespaces/" + url.PathEscape(ns) + "/pods/" + url.PathEscape(pod) + "/portforward?port=" + strconv.Itoa(port)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", PortForwardProtocol)
	resp, err := c.stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("forward port %d of pod %s: %w", port, pod, unwrapURLError(err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return nil, decodeStatus(resp)
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return nil, fmt.Errorf("forward port %d of pod %s: the server switched protocols without a writable connection", port, pod)
	}
	return conn, nil
}

// Splice copies a to b and b to a until both directions end, then closes both. When one direction
// reaches its end, the other side is told with CloseWrite where it has one (a TCP or TLS
// connection), so a peer that answers after the end of its input still can; where it has none,
// both are closed at once. An error either way closes both. The API server, the agent and
// `wk port-forward` all splice with it.
func Splice(a, b io.ReadWriteCloser) {
	var once sync.Once
	closeBoth := func() { once.Do(func() { a.Close(); b.Close() }) }
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); spliceOne(a, b, closeBoth) }()
	go func() { defer wg.Done(); spliceOne(b, a, closeBoth) }()
	wg.Wait()
	closeBoth()
}

func spliceOne(dst io.Writer, src io.Reader, closeBoth func()) {
	if _, err := io.Copy(dst, src); err != nil {
		closeBoth()
		return
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		return
	}
	closeBoth()
}
