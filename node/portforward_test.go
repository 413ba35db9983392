package node

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wk-project/wk/control/api"
)

// getHealth sends GET /health on a forwarded connection and returns the answer's status and body.
func getHealth(t *testing.T, conn io.ReadWriter) (int, string) {
	t.Helper()
	if _, err := io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: hello\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPortForwardThroughTheTunnel(t *testing.T) {
	n := startNode(t)
	hello := n.image(t, guest(t, "samples/hello"))
	n.run(t, "hello", "", api.Container{Name: "hello", Image: hello,
		Ports:          []api.ContainerPort{{ContainerPort: 9876}},
		ReadinessProbe: &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/health", Port: api.FromInt(9876)}}}})
	n.waitPod(t, "hello", "Ready", ready)
	ctx := context.Background()

	for _, conn := range []string{"first", "second"} {
		t.Run(conn+" connection", func(t *testing.T) {
			c, err := n.client.PortForward(ctx, "default", "hello", 9876)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if code, body := getHealth(t, c); code != 200 || body != "ok\n" {
				t.Fatalf("GET /health: %d %q", code, body)
			}
		})
	}

	tests := []struct {
		name       string
		pod        string
		port       int
		wantReason string
		wantMsg    string
	}{
		{"no such pod", "ghost", 9876, api.ReasonNotFound, `pods "ghost" not found`},
		{"nothing listens", "hello", 9999, api.ReasonInternal, "error forwarding port 9999 to pod hello"},
		{"port out of range", "hello", 70000, api.ReasonBadRequest, "port must be a number from 1 to 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := n.client.PortForward(ctx, "default", tt.pod, tt.port)
			var se *api.StatusError
			if !errors.As(err, &se) || se.Status.Reason != tt.wantReason || !strings.Contains(se.Error(), tt.wantMsg) {
				if c != nil {
					c.Close()
				}
				t.Fatalf("got %v, want a %s Status saying %q", err, tt.wantReason, tt.wantMsg)
			}
		})
	}
}

func TestPortForwardToAPodNotRunning(t *testing.T) {
	n := startNode(t)
	n.run(t, "stuck", "", api.Container{Name: "stuck", Image: "sha256:" + strings.Repeat("0", 64)})
	_, err := n.client.PortForward(context.Background(), "default", "stuck", 9876)
	want := "unable to forward port because pod is not running. Current status=Pending"
	var se *api.StatusError
	if !errors.As(err, &se) || se.Status.Reason != api.ReasonBadRequest || se.Error() != want {
		t.Fatalf("got %v, want a BadRequest %q", err, want)
	}
}
