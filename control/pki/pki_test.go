package pki

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateCAReusesTheCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{CertFile: 0o644, KeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	c := ca.Certificate()
	if !c.IsCA || c.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("CA certificate: IsCA %v, key %v", c.IsCA, c.PublicKeyAlgorithm)
	}
	if years := c.NotAfter.Sub(c.NotBefore).Hours() / 24 / 365; years < 9.99 || years > 10.01 {
		t.Errorf("CA valid %.2f years, want 10", years)
	}
	again, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Hash() != ca.Hash() || string(again.CertPEM()) != string(ca.CertPEM()) {
		t.Errorf("the second load made a new CA: %s, then %s", ca.Hash(), again.Hash())
	}
	if h, err := HashOfPEM(ca.CertPEM()); err != nil || h != ca.Hash() {
		t.Errorf("HashOfPEM = %q, %v; want %q", h, err, ca.Hash())
	}
	if !strings.HasPrefix(ca.Hash(), "sha256:") || len(ca.Hash()) != len("sha256:")+64 {
		t.Errorf("hash %q is not sha256: and 64 hex digits", ca.Hash())
	}
}

func TestLoadOrCreateCARefusesABrokenCA(t *testing.T) {
	otherDir := t.TempDir()
	if _, err := LoadOrCreateCA(otherDir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"key missing", func(dir string) error { return os.Remove(filepath.Join(dir, KeyFile)) }, "read CA key"},
		{"key of another CA", func(dir string) error {
			b, err := os.ReadFile(filepath.Join(otherDir, KeyFile))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, KeyFile), b, 0o600)
		}, "ca.key does not match ca.crt"},
		{"certificate garbled", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, CertFile), []byte("junk"), 0o644)
		}, "ca.crt: no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LoadOrCreateCA(dir); err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(dir); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateCA(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestServerCertificate(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCertificate([]string{"localhost", "127.0.0.1", "::1", "[::1]", "Node-A.example", "", "fe80::1%eth0", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if got := strings.Join(leaf.DNSNames, ","); got != "localhost,node-a.example" {
		t.Errorf("DNS names %s", got)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if got := strings.Join(ips, ","); got != "127.0.0.1,::1,fe80::1" {
		t.Errorf("IP addresses %s", got)
	}
	if len(cert.Certificate) != 2 || string(cert.Certificate[1]) != string(ca.Certificate().Raw) {
		t.Errorf("the chain is not the leaf, then the CA")
	}
	if days := leaf.NotAfter.Sub(time.Now()).Hours() / 24; days < 364 || days > 366 {
		t.Errorf("leaf valid %.0f more days, want 365", days)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	for _, name := range []string{"localhost", "127.0.0.1", "node-a.example"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
}

// TestServerCertificateServesTLS shakes hands with a server that presents the certificate.
func TestServerCertificateServesTLS(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCertificate([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM())
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	chain := c.ConnectionState().PeerCertificates
	if len(chain) != 2 || HashOf(chain[1]) != ca.Hash() {
		t.Fatalf("the server presented %d certificates, the last not the CA", len(chain))
	}
}
