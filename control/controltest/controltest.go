// Package controltest runs a real control plane for the tests of the packages that build on it.
package controltest

import (
	"context"
	"testing"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/client"
)

// Start runs a control plane with cfg (on 127.0.0.1:0 over a store in a temp dir unless cfg says
// otherwise) until the test ends, and returns it and an admin client. The server stops in a
// cleanup registered here, so a component the test starts afterwards, with its own cleanup, stops
// before the server does.
func Start(tb testing.TB, cfg control.Config) (*control.Server, *client.Client) {
	tb.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	if cfg.APIAddr == "" {
		cfg.APIAddr = "127.0.0.1:0"
	}
	srv, err := control.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := client.New(srv.ClientConfig())
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("server: %v", err)
		}
	})
	return srv, c
}
