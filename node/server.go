package node

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/wk-project/wk/control/client"
)

// The agent's own HTTP API, which the API server calls for logs and exec (like the kubelet's port
// 10250), is served over a tunnel that the agent opens to the API server, so a node behind NAT
// works: GET /containerLogs/NS/POD/CONTAINER?follow=&tailLines=&previous=,
// POST /exec/NS/POD?command=&container= and POST /portForward/NS/POD?port= (upgraded to
// client.PortForwardProtocol). The API server authenticates the tunnel; the agent listens on no
// port.

// The delays between attempts to open the tunnel: doubling from the first to the last, back to the
// first once a tunnel is open.
const (
	tunnelRetryFirst = 200 * time.Millisecond
	tunnelRetryLast  = 5 * time.Second
)

// tunnelLoop keeps a tunnel to the API server open and serves the agent's API on the streams the
// API server opens in it, until ctx ends.
func (a *Agent) tunnelLoop(ctx context.Context) error {
	h := a.handler()
	wait := tunnelRetryFirst
	for {
		sess, err := a.openTunnel(ctx)
		if err == nil {
			a.log.Info("tunnel to the API server connected", "node", a.cfg.Name)
			wait = tunnelRetryFirst
			err = a.serveTunnel(ctx, sess, h)
		}
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn("no tunnel to the API server", "node", a.cfg.Name, "err", err, "retry", wait)
		if !sleepCtx(ctx, wait) {
			return nil
		}
		wait = min(2*wait, tunnelRetryLast)
	}
}

// openTunnel opens the tunnel and runs a yamux server session on it.
func (a *Agent) openTunnel(ctx context.Context) (*yamux.Session, error) {
	conn, err := a.client.Tunnel(ctx, a.cfg.Name)
	if err != nil {
		return nil, err
	}
	cfg := yamux.DefaultConfig()
	cfg.KeepAliveInterval = 15 * time.Second // finds a dead API server, and keeps NAT mappings open
	cfg.LogOutput, cfg.Logger = nil, slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)
	sess, err := yamux.Server(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open the tunnel: %w", err)
	}
	return sess, nil
}

// serveTunnel serves h on the streams of sess until the session or ctx ends.
func (a *Agent) serveTunnel(ctx context.Context, sess *yamux.Session, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)}
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	defer stop()
	err := hs.Serve(sess) // a session is a net.Listener of the streams the other side opens
	hs.Close()
	return fmt.Errorf("the tunnel closed: %w", err)
}

// handler is the agent's API.
func (a *Agent) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", a.serveLogs)
	mux.HandleFunc("POST /exec/{ns}/{pod}", a.serveExec)
	mux.HandleFunc("POST /portForward/{ns}/{pod}", a.servePortForward)
	return mux
}

func (a *Agent) serveLogs(w http.ResponseWriter, r *http.Request) {
	ns, pod, container := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	dir, ok := a.podDir(ns, pod)
	if !ok {
		http.Error(w, fmt.Sprintf("pod %s/%s is not running on node %s", ns, pod, a.cfg.Name), http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	path := logPath(dir, container)
	if q.Get("previous") == "true" {
		path = previousLogPath(dir, container)
	}
	f, err := os.Open(path)
	if err != nil {
		msg := fmt.Sprintf("container %q in pod %q has no logs yet", container, pod)
		if q.Get("previous") == "true" {
			msg = fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod)
		}
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	defer f.Close()
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil && n >= 0 {
		seekTail(f, n)
	}
	w.Header().Set("Content-Type", "text/plain")
	io.Copy(w, f)
	if q.Get("follow") != "true" {
		return
	}
	rc := http.NewResponseController(w)
	rc.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		if n, _ := io.Copy(w, f); n > 0 {
			rc.Flush()
		}
		if _, ok := a.podDir(ns, pod); !ok {
			return
		}
	}
}

// seekTail positions f at the start of its last n lines.
func seekTail(f *os.File, n int) {
	var offsets []int64
	var pos int64
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			offsets = append(offsets, pos)
			pos += int64(len(line))
		}
		if err != nil {
			break
		}
	}
	start := pos
	if n < len(offsets) {
		start = offsets[len(offsets)-n]
	} else if len(offsets) > 0 {
		start = offsets[0]
	}
	if n == 0 {
		start = pos
	}
	f.Seek(start, io.SeekStart)
}

// serveExec runs ?command=...&command=... in a pod (?container=), streaming framed output.
func (a *Agent) serveExec(w http.ResponseWriter, r *http.Request) {
	ns, pod := r.PathValue("ns"), r.PathValue("pod")
	wk, ok := a.worker(ns, pod)
	if !ok {
		http.Error(w, fmt.Sprintf("pod %s/%s is not running on node %s", ns, pod, a.cfg.Name), http.StatusNotFound)
		return
	}
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		http.Error(w, "no command given", http.StatusBadRequest)
		return
	}
	rc := http.NewResponseController(w)
	rc.EnableFullDuplex() // stdin is read while output is written
	w.Header().Set("Content-Type", "application/vnd.wk.exec-stream")
	w.WriteHeader(http.StatusOK)
	stdout, stderr, control := client.NewFrameWriters(w, func() { rc.Flush() })
	code, err := wk.exec(r.Context(), r.URL.Query().Get("container"), cmd, r.Body, stdout, stderr)
	if err != nil {
		control.Fail(err)
		return
	}
	control.Exit(code)
}

// portForwardDialTimeout bounds the dial of a pod's port for port forwarding.
const portForwardDialTimeout = 5 * time.Second

// servePortForward serves POST /portForward/NS/POD?port=N: it dials the port on the pod's
// node-local address, where its containerPorts listen, and on success switches the stream to
// client.PortForwardProtocol and splices the two. A port nobody listens on is a 502 whose text
// says why, before the switch.
func (a *Agent) servePortForward(w http.ResponseWriter, r *http.Request) {
	ns, pod := r.PathValue("ns"), r.PathValue("pod")
	port, err := strconv.Atoi(r.URL.Query().Get("port"))
	if err != nil || port < 1 || port > 65535 {
		http.Error(w, fmt.Sprintf("invalid port %q", r.URL.Query().Get("port")), http.StatusBadRequest)
		return
	}
	wk, ok := a.worker(ns, pod)
	var ip netip.Addr
	if ok {
		wk.mu.Lock()
		ip, ok = wk.addr, wk.sandbox != nil
		wk.mu.Unlock()
	}
	if !ok {
		http.Error(w, fmt.Sprintf("pod %s/%s is not running on node %s", ns, pod, a.cfg.Name), http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), portForwardDialTimeout)
	defer cancel()
	var d net.Dialer
	podConn, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(ip, uint16(port)).String())
	if err != nil {
		http.Error(w, fmt.Sprintf("error forwarding port %d to pod %s, uid %s: %v", port, pod, wk.pod.UID, err), http.StatusBadGateway)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		podConn.Close()
		http.Error(w, fmt.Sprintf("forward port %d of pod %s: %v", port, pod, err), http.StatusInternalServerError)
		return
	}
	conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+client.PortForwardProtocol+"\r\n\r\n"); err != nil {
		conn.Close()
		podConn.Close()
		return
	}
	client.Splice(&bufferedConn{Conn: conn, r: brw.Reader}, podConn)
}

// bufferedConn reads what the HTTP server had already buffered before the stream itself.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
