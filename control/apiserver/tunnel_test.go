package apiserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/node"
	"github.com/wk-project/wk/samples/build"
)

const joinToken = "join-secret"

func TestTunnelNeedsTheTokenAndTheUpgrade(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name, token, upgrade string
		want                 int
	}{
		{"no token", "", "wk-tunnel", http.StatusUnauthorized},
		{"wrong token", "nope", "wk-tunnel", http.StatusUnauthorized},
		{"no upgrade", joinToken, "", http.StatusBadRequest},
		{"another protocol", adminToken, "websocket", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.url+"/api/v1/nodes/node-x/tunnel", nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			if tt.upgrade != "" {
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", tt.upgrade)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("got %s, want %d", resp.Status, tt.want)
			}
		})
	}

	// The client says why, and the refused node has no tunnel: its pods' logs are a 503 that a
	// user understands.
	c, err := client.New(client.Config{Server: ts.url, Token: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Tunnel(context.Background(), "node-x")
	var se *api.StatusError
	if !errors.As(err, &se) || se.Status.Code != http.StatusUnauthorized {
		t.Fatalf("Tunnel with a wrong token: %v", err)
	}
	p := testPod("on-node-x", nil)
	p.Spec.NodeName = "node-x"
	ts.mustCreate(t, p)
	_, err = ts.client.Logs(context.Background(), "default", p.Name, client.LogOptions{TailLines: -1})
	want := "node node-x has no tunnel connected to the API server"
	if !errors.As(err, &se) || se.Status.Code != http.StatusServiceUnavailable || se.Status.Message != want {
		t.Fatalf("logs of a pod on a node without tunnel: %v, want a 503 %q", err, want)
	}
}

func TestLogsThroughTheTunnelSurviveACut(t *testing.T) {
	ts := newTestServer(t)
	startAgent(t, ts, "node-a")
	img, err := ts.client.PutBlob(context.Background(), build.Go(t, "samples/hello"))
	if err != nil {
		t.Fatal(err)
	}
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default"}, Spec: api.PodSpec{NodeName: "node-a",
		Containers: []api.Container{{Name: "hello", Image: img, Ports: []api.ContainerPort{{ContainerPort: 9876}}}}}}
	ts.mustCreate(t, p)
	waitLogs(t, ts.client, "hello listening on :9876")

	// A follow stream carries new lines as they are written.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := ts.client.Logs(ctx, "default", "hello", client.LogOptions{Follow: true, TailLines: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(rc)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	expectLine(t, lines, "hello listening")
	pods := kind(t, "pods")
	obj, err := ts.client.Get(context.Background(), pods, "default", "hello")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://127" + strings.TrimPrefix(obj.(*api.Pod).Status.PodIP, "10") + ":9876/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	expectLine(t, lines, "GET / from")

	// A new tunnel of the node replaces the agent's, which cuts the follow stream; once the new
	// one is gone too, the agent connects again.
	joined, err := client.New(client.Config{Server: ts.url, Token: joinToken})
	if err != nil {
		t.Fatal(err)
	}
	other, err := joined.Tunnel(context.Background(), "node-a")
	if err != nil {
		t.Fatal(err)
	}
	expectEnd(t, lines)
	other.Close()
	waitLogs(t, ts.client, "GET / from")
}

func TestExecThroughTheTunnelIsFullDuplex(t *testing.T) {
	ts := newTestServer(t)
	startAgent(t, ts, "node-a", func(c *node.Config) { c.Toolbox = build.Go(t, "node/toolbox/guest") })
	img, err := ts.client.PutBlob(context.Background(), build.Go(t, "samples/hello"))
	if err != nil {
		t.Fatal(err)
	}
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default"}, Spec: api.PodSpec{NodeName: "node-a",
		Containers: []api.Container{{Name: "hello", Image: img, Ports: []api.ContainerPort{{ContainerPort: 9876}}}}}}
	ts.mustCreate(t, p)
	waitLogs(t, ts.client, "hello listening on :9876")

	// cat echoes a line of stdin while stdin is still open.
	stdin, feed := io.Pipe()
	out := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		code, err := ts.client.Exec(context.Background(), "default", "hello", client.ExecOptions{
			Command: []string{"cat"}, Stdin: stdin, Stdout: chanWriter(out), Stderr: io.Discard})
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		done <- err
	}()
	for _, line := range []string{"ping", "pong"} {
		io.WriteString(feed, line+"\n")
		expectLine(t, out, line)
	}
	feed.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cat did not end when its stdin closed")
	}
}

// chanWriter sends what is written to it, one write at a time.
type chanWriter chan<- string

func (w chanWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// startAgent runs a node agent against ts until the test ends; edit changes its Config first.
func startAgent(t *testing.T, ts *testServer, name string, edit ...func(*node.Config)) {
	t.Helper()
	c, err := client.New(client.Config{Server: ts.url, Token: joinToken})
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.DefaultConfig()
	cfg.Name, cfg.DataDir = name, t.TempDir()
	for _, e := range edit {
		e(&cfg)
	}
	a := node.New(cfg, c)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// waitLogs polls the hello pod's logs until they hold want.
func waitLogs(t *testing.T, c *client.Client, want string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		rc, err := c.Logs(context.Background(), "default", "hello", client.LogOptions{TailLines: -1})
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if last = string(b); strings.Contains(last, want) {
			return
		}
	}
	t.Fatalf("the logs never held %q; last: %s", want, last)
}

func expectLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the log stream ended before a line with %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no log line with %q", want)
		}
	}
}

func expectEnd(t *testing.T, lines <-chan string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the log stream outlived its tunnel")
		}
	}
}

func TestShutdownClosesTheTunnels(t *testing.T) {
	st := openStore(t)
	acfg := apiserver.DefaultConfig()
	acfg.Addr, acfg.JoinToken = "127.0.0.1:0", joinToken
	s := apiserver.New(acfg, st)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	c, err := client.New(client.Config{Server: "http://" + s.Addr(), Token: joinToken})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Tunnel(context.Background(), "node-a")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, conn)
		read <- err
	}()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the tunnel outlived the API server")
	}
}
