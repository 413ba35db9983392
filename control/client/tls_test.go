package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wk-project/wk/control/pki"
)

// tlsServer is an https server whose certificate ca signed for hosts; it answers /version.
func tlsServer(t *testing.T, ca *pki.CA, hosts ...string) *httptest.Server {
	t.Helper()
	cert, err := ca.ServerCertificate(hosts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"gitVersion":"test"}`)
	}))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func callVersion(t *testing.T, cfg Config) error {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	return c.Raw(context.Background(), "GET", "/version", &v)
}

func TestPinnedCA(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	// The certificate names a host the client does not use: a pin does not check host names.
	ts := tlsServer(t, ca, "api.example")

	if err := callVersion(t, Config{Server: ts.URL, CAHash: ca.Hash()}); err != nil {
		t.Errorf("the right hash: %v", err)
	}
	upper := "sha256:" + strings.ToUpper(strings.TrimPrefix(ca.Hash(), "sha256:"))
	if err := callVersion(t, Config{Server: ts.URL, CAHash: upper}); err != nil {
		t.Errorf("the right hash in uppercase: %v", err)
	}
	err := callVersion(t, Config{Server: ts.URL, CAHash: other.Hash()})
	want := fmt.Sprintf("server's certificate authority %s does not match the join token's %s", ca.Hash(), other.Hash())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a wrong hash: err = %v, want %q", err, want)
	}
	// The other CA's certificate in the chain does not help: it did not sign the leaf.
	forged := tlsServer(t, ca, "127.0.0.1")
	forged.TLS.Certificates[0].Certificate = append(forged.TLS.Certificates[0].Certificate, other.Certificate().Raw)
	err = callVersion(t, Config{Server: forged.URL, CAHash: other.Hash()})
	if err == nil || !strings.Contains(err.Error(), "does not verify against the pinned certificate authority "+other.Hash()) {
		t.Errorf("a chain that holds the pinned CA without its signature: err = %v", err)
	}
}

func TestCAData(t *testing.T) {
	ca := newCA(t)
	ts := tlsServer(t, ca, "127.0.0.1")
	if err := callVersion(t, Config{Server: ts.URL, CAData: ca.CertPEM()}); err != nil {
		t.Errorf("with the CA: %v", err)
	}
	err := callVersion(t, Config{Server: ts.URL})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("without a CA: err = %v, want x509.UnknownAuthorityError", err)
	}
	err = callVersion(t, Config{Server: tlsServer(t, ca, "api.example").URL, CAData: ca.CertPEM()})
	var host x509.HostnameError
	if !errors.As(err, &host) {
		t.Errorf("a certificate for another host: err = %v, want x509.HostnameError", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Server: "https://h:1", CAHash: "sha1:00"}, `must start with "sha256:"`},
		{Config{Server: "https://h:1", CAHash: "sha256:00"}, "the CA hash must be 64 hex digits"},
		{Config{Server: "http://h:1", CAHash: newCA(t).Hash()}, "a CA hash needs an https:// URL"},
		{Config{Server: "https://h:1", CAData: []byte("junk")}, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestConfigFileKeepsTheCA(t *testing.T) {
	ca := newCA(t)
	path := filepath.Join(t.TempDir(), "wk", "config")
	want := Config{Server: "https://127.0.0.1:6443", Token: "tok", CAData: ca.CertPEM()}
	if err := WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Server != want.Server || got.Token != want.Token || string(got.CAData) != string(want.CAData) {
		t.Errorf("read back %+v", got)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "certificateAuthorityData: ") {
		t.Errorf("the file has no certificateAuthorityData:\n%s", b)
	}
}
