package apiserver_test

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/wk-project/wk/control/apiserver"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/pki"
)

// TestRunServesTLS runs the server on its own listener with a TLS config and calls it over https,
// HTTP/1.1 as the exec streams and the tunnels need.
func TestRunServesTLS(t *testing.T) {
	st := openStore(t)
	ca, err := pki.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCertificate([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	acfg := apiserver.DefaultConfig()
	acfg.Addr, acfg.AdminToken = "127.0.0.1:0", adminToken
	acfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv := apiserver.New(acfg, st)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	c, err := client.New(client.Config{Server: "https://" + srv.Addr(), Token: adminToken, CAData: ca.CertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	var version map[string]string
	if err := c.Raw(context.Background(), "GET", "/version", &version); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", srv.Addr(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("negotiated %q, want http/1.1", p)
	}
	plain, err := client.New(client.Config{Server: "http://" + srv.Addr(), Token: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Raw(context.Background(), "GET", "/version", &version); err == nil {
		t.Error("plain http to a TLS server succeeded")
	}
}
