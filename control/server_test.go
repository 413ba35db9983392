package control_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/pki"
)

// start runs a control plane without controllers on dataDir; stop ends it and waits.
func start(t *testing.T, cfg control.Config) (srv *control.Server, stop func()) {
	t.Helper()
	cfg.APIAddr, cfg.NoControllers = "127.0.0.1:0", true
	srv, err := control.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return srv, stop
}

func version(cfg client.Config) error {
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	var v map[string]string
	return c.Raw(context.Background(), "GET", "/version", &v)
}

func TestServerServesTLS(t *testing.T) {
	srv, _ := start(t, control.Config{DataDir: t.TempDir()})
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Errorf("URL %s", srv.URL())
	}
	if err := version(srv.ClientConfig()); err != nil {
		t.Errorf("the admin client config: %v", err)
	}

	tok, err := client.ParseJoinToken(srv.JoinToken())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Secret != srv.NodeSecret() || !bytes.Equal(tok.GossipKey, srv.GossipKey()) {
		t.Errorf("the join token %+v does not carry the node secret and the gossip key", tok)
	}
	if h, _ := pki.HashOfPEM(srv.ClientConfig().CAData); tok.CAHash != h {
		t.Errorf("the join token pins %s, the CA is %s", tok.CAHash, h)
	}
	t.Run("pinned by the join token", func(t *testing.T) {
		if err := version(client.Config{Server: srv.URL(), Token: tok.Secret, CAHash: tok.CAHash}); err != nil {
			t.Error(err)
		}
	})
	t.Run("a wrong hash", func(t *testing.T) {
		wrong := "sha256:" + strings.Repeat("ab", 32)
		err := version(client.Config{Server: srv.URL(), Token: tok.Secret, CAHash: wrong})
		want := fmt.Sprintf("server's certificate authority %s does not match the join token's %s", tok.CAHash, wrong)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
	t.Run("no CA", func(t *testing.T) {
		err := version(client.Config{Server: srv.URL(), Token: srv.AdminToken()})
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("err = %v, want x509.UnknownAuthorityError", err)
		}
	})
	t.Run("plain http", func(t *testing.T) {
		plain := strings.Replace(srv.URL(), "https://", "http://", 1)
		if err := version(client.Config{Server: plain, Token: srv.AdminToken()}); err == nil {
			t.Error("plain http succeeded")
		}
	})
}

func TestServerKeepsItsCAAndTokensAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	srv, stop := start(t, control.Config{DataDir: dir})
	cfg, join := srv.ClientConfig(), srv.JoinToken()
	stop()

	srv, _ = start(t, control.Config{DataDir: dir})
	if srv.JoinToken() != join {
		t.Errorf("join token %s, then %s", join, srv.JoinToken())
	}
	if got := srv.ClientConfig(); !bytes.Equal(got.CAData, cfg.CAData) || got.Token != cfg.Token {
		t.Error("the restart changed the CA or the admin token")
	}
	tok, _ := client.ParseJoinToken(join)
	if err := version(client.Config{Server: srv.URL(), Token: tok.Secret, CAHash: tok.CAHash}); err != nil {
		t.Errorf("the first start's join token after a restart: %v", err)
	}
	key, err := os.ReadFile(filepath.Join(dir, "tokens", "gossip.key"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(key))); err != nil || !bytes.Equal(b, tok.GossipKey) {
		t.Errorf("tokens/gossip.key %q is not the join token's key in base64", key)
	}
	for _, f := range []string{"pki/ca.crt", "pki/ca.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestServerCertificateNames(t *testing.T) {
	srv, _ := start(t, control.Config{DataDir: t.TempDir(), AdvertiseAddrs: []string{"api.example", "192.0.2.7"}})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(srv.URL(), "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	host, _ := os.Hostname()
	for _, name := range []string{"localhost", "api.example", strings.ToLower(host)} {
		if !slices.Contains(leaf.DNSNames, name) {
			t.Errorf("DNS names %v lack %s", leaf.DNSNames, name)
		}
	}
	for _, ip := range []string{"127.0.0.1", "::1", "192.0.2.7"} {
		if !slices.ContainsFunc(leaf.IPAddresses, net.ParseIP(ip).Equal) {
			t.Errorf("IP addresses %v lack %s", leaf.IPAddresses, ip)
		}
	}
}

func TestServerRefusesABadGossipKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokens", "gossip.key"), []byte("c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := control.New(control.Config{DataDir: dir, APIAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "want 32 bytes in base64") {
		t.Fatalf("err = %v", err)
	}
}
