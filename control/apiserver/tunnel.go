package apiserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/wk-project/wk/control/api"
)

// tunnelProtocol is the Upgrade token of GET /api/v1/nodes/NAME/tunnel (control/client says the
// same).
const tunnelProtocol = "wk-tunnel"

// A node agent reaches the API server, not the other way round, so a node behind NAT serves logs
// and exec too: the agent upgrades GET /api/v1/nodes/NAME/tunnel, the API server runs a yamux
// client session on the connection and opens one stream per request to the agent, which serves
// its HTTP API on the streams.

// tunnels are the sessions of the connected node agents. The zero value is ready to use.
type tunnels struct {
	mu       sync.Mutex
	sessions map[string]*yamux.Session // node name -> session
	closed   bool                      // the server is shutting down: no new sessions
}

// get is the session of a node, or nil.
func (t *tunnels) get(node string) *yamux.Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sessions[node]
}

// add makes sess the node's session and closes the one it replaces.
func (t *tunnels) add(node string, sess *yamux.Session) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		sess.Close()
		return
	}
	old := t.sessions[node]
	if t.sessions == nil {
		t.sessions = map[string]*yamux.Session{}
	}
	t.sessions[node] = sess
	t.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// remove forgets the node's session if it is still sess.
func (t *tunnels) remove(node string, sess *yamux.Session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sessions[node] == sess {
		delete(t.sessions, node)
	}
}

// closeAll closes every session, and every later one, when the server shuts down: the agents learn
// that it is gone, and the log streams and execs that go through the tunnels end.
func (t *tunnels) closeAll() {
	t.mu.Lock()
	sessions := t.sessions
	t.sessions, t.closed = nil, true
	t.mu.Unlock()
	for _, sess := range sessions {
		sess.Close()
	}
}

// serveTunnel serves GET /api/v1/nodes/NAME/tunnel: it switches the connection to the tunnel
// protocol and keeps it as the node's session.
func (s *Server) serveTunnel(w http.ResponseWriter, r *http.Request) {
	node := r.PathValue("name")
	if !wantsUpgrade(r, tunnelProtocol) {
		writeError(w, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"the tunnel of node %s needs the headers Connection: Upgrade and Upgrade: %s", node, tunnelProtocol))
		return
	}
	conn := switchProtocols(w, tunnelProtocol, "open the tunnel of node "+node)
	if conn == nil {
		return
	}
	sess, err := yamux.Client(conn, yamuxConfig(s.log))
	if err != nil {
		conn.Close()
		return
	}
	s.tunnels.add(node, sess)
	s.log.Info("node tunnel connected", "node", node, "remote", r.RemoteAddr)
	go func() {
		<-sess.CloseChan()
		s.tunnels.remove(node, sess)
		s.log.Info("node tunnel closed", "node", node, "remote", r.RemoteAddr)
	}()
}

// wantsUpgrade reports whether r asks to switch its connection to protocol.
func wantsUpgrade(r *http.Request, protocol string) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), protocol) && headerHasToken(r.Header, "Connection", "upgrade")
}

// switchProtocols takes the connection over from the HTTP server and answers 101 Switching
// Protocols to protocol; the server's request timeouts no longer apply to it. It returns nil when
// that fails, having answered what it still could (what names the action in the error).
func switchProtocols(w http.ResponseWriter, protocol, what string) *hijackedConn {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeError(w, fmt.Errorf("%s: %w", what, err))
		return nil
	}
	conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+protocol+"\r\n\r\n"); err != nil {
		conn.Close()
		return nil
	}
	return &hijackedConn{Conn: conn, r: brw.Reader}
}

// headerHasToken reports whether the comma-separated header holds token, case-insensitively.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// hijackedConn reads what the HTTP server had already buffered before the connection itself.
type hijackedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *hijackedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func yamuxConfig(log *slog.Logger) *yamux.Config {
	cfg := yamux.DefaultConfig()
	cfg.KeepAliveInterval = 15 * time.Second // finds a dead agent, and keeps NAT mappings open
	cfg.LogOutput, cfg.Logger = nil, slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	return cfg
}

// tunnelSession carries the session a request to an agent goes through.
type tunnelSession struct{}

// tunnelTransport sends requests to agents, each on a new stream of the session in its context.
var tunnelTransport = &http.Transport{
	DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		sess, _ := ctx.Value(tunnelSession{}).(*yamux.Session)
		if sess == nil {
			return nil, errors.New("no tunnel session")
		}
		return sess.Open()
	},
	DisableKeepAlives:  true, // a stream is cheap; an idle one would outlive its session
	DisableCompression: true,
}

// callAgent sends a request to the agent of node through its tunnel; with upgrade, the request
// asks to switch the connection to that protocol.
func (s *Server) callAgent(ctx context.Context, node, method, pathQuery string, body io.Reader, upgrade string) (*http.Response, error) {
	sess := s.tunnels.get(node)
	if sess == nil {
		return nil, api.NewStatusError(http.StatusServiceUnavailable, api.ReasonUnavailable, "node %s has no tunnel connected to the API server", node)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, tunnelSession{}, sess), method, "http://node"+pathQuery, body)
	if err != nil {
		return nil, err
	}
	if upgrade != "" {
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", upgrade)
	}
	resp, err := tunnelTransport.RoundTrip(req)
	if err != nil {
		return nil, api.NewStatusError(http.StatusServiceUnavailable, api.ReasonUnavailable, "node %s cannot be reached: %v", node, err)
	}
	return resp, nil
}

// agentMessage is the text of an agent's error answer.
func agentMessage(resp *http.Response) string {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return trimNewline(string(msg))
}
