package node

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wk-project/wk/control/client"
)

// serve runs the agent's own HTTP API, which the API server calls for logs (like the kubelet's
// port 10250): GET /containerLogs/NS/POD/CONTAINER?follow=&tailLines=&previous=.
func (a *Agent) serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", a.serveLogs)
	mux.HandleFunc("POST /exec/{ns}/{pod}", a.serveExec)
	hs := &http.Server{Handler: a.authorize(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (a *Agent) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if a.cfg.NodeToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(a.cfg.NodeToken)) != 1 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
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
