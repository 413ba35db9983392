// Package client is the Go client of wk's API server, used by the CLI, the node agents and tests.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wk-project/wk/control/api"
)

// Config says where the API server is and how to authenticate.
type Config struct {
	Server string // "https://127.0.0.1:6443"; http:// for a server without TLS
	Token  string
	// CAData (PEM) verifies an https server as any TLS client does, host name included. Without
	// it and without CAHash, the system's roots do.
	CAData []byte
	// CAHash ("sha256:" and 64 hex digits, as a join token carries it) pins the server's CA: the
	// server's chain must hold the certificate of that hash, and it must have signed the server's
	// certificate for serving. CAData is then not consulted.
	CAHash string
}

// Client talks to one API server.
type Client struct {
	base   string
	token  string
	http   *http.Client // calls with a deadline
	stream *http.Client // watches and blobs: no overall timeout
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Server == "" {
		return nil, errors.New("no server address: run `wk up` first, or pass --server")
	}
	u, err := url.Parse(cfg.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q: must be an http:// or https:// URL", cfg.Server)
	}
	if cfg.CAHash != "" && u.Scheme != "https" {
		return nil, fmt.Errorf("server %q: a CA hash needs an https:// URL", cfg.Server)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128
	if tr.TLSClientConfig, err = tlsConfig(cfg); err != nil {
		return nil, err
	}
	return &Client{
		base:   strings.TrimRight(cfg.Server, "/"),
		token:  cfg.Token,
		http:   &http.Client{Transport: tr, Timeout: 60 * time.Second},
		stream: &http.Client{Transport: tr},
	}, nil
}

// Server is the server's base URL.
func (c *Client) Server() string { return c.base }

// do sends a request and decodes a JSON answer into out (when not nil); a non-2xx answer becomes
// an *api.StatusError.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return resp, decodeStatus(resp)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp, fmt.Errorf("decode answer of %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// decodeStatus turns an error answer into an *api.StatusError.
func decodeStatus(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var st api.Status
	if err := json.Unmarshal(b, &st); err != nil || st.Kind != "Status" {
		return api.NewStatusError(resp.StatusCode, "", "the server answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if st.Code == 0 {
		st.Code = int32(resp.StatusCode)
	}
	return &api.StatusError{Status: st}
}

func encode(obj api.Object) (io.Reader, error) {
	api.SetTypeMeta(obj)
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}
