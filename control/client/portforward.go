package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/wk-project/wk/control/api"
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
	conn, err := c.upgrade(ctx, http.MethodPost, path, PortForwardProtocol)
	var se *api.StatusError
	if err != nil && !errors.As(err, &se) {
		return nil, fmt.Errorf("forward port %d of pod %s: %w", port, pod, err)
	}
	return conn, err
}

// upgrade sends a request that switches its connection to protocol and returns the connection.
// An answer other than 101 Switching Protocols is the server's *api.StatusError.
func (c *Client) upgrade(ctx context.Context, method, path, protocol string) (io.ReadWriteCloser, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", protocol)
	resp, err := c.stream.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return nil, decodeStatus(resp)
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return nil, errors.New("the server switched protocols without a writable connection")
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
