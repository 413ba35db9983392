package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/wk-project/wk/control/pki"
)

const caHashPrefix = pki.HashPrefix

// tlsConfig is the TLS configuration of an https client: the server's chain is pinned to
// cfg.CAHash when it is set, else verified against cfg.CAData, else against the system's roots.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAHash != "" {
		hex, ok := strings.CutPrefix(cfg.CAHash, caHashPrefix)
		if !ok {
			return nil, fmt.Errorf("CA hash %q: must start with %q", cfg.CAHash, caHashPrefix)
		}
		hex, err := parseHexHash(hex)
		if err != nil {
			return nil, fmt.Errorf("CA hash %q: %w", cfg.CAHash, err)
		}
		// Go's own verification would check the host name against roots it does not have; the
		// pin replaces it, in VerifyConnection, which also runs on resumed sessions.
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = verifyPinned(caHashPrefix + hex)
		return tc, nil
	}
	if len(cfg.CAData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAData) {
			return nil, errors.New("the certificate authority data holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// verifyPinned accepts a server whose chain holds the certificate with hash want and whose leaf
// that certificate signed for serving. The host name is not checked: the pinned CA is the
// cluster's own, and it signs nothing but the cluster's servers.
func verifyPinned(want string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		chain := cs.PeerCertificates
		if len(chain) == 0 {
			return errors.New("the server presented no certificate")
		}
		var ca *x509.Certificate
		for _, c := range chain {
			if pki.HashOf(c) == want {
				ca = c
				break
			}
		}
		if ca == nil {
			return fmt.Errorf("server's certificate authority %s does not match the join token's %s", pki.HashOf(chain[len(chain)-1]), want)
		}
		roots, inter := x509.NewCertPool(), x509.NewCertPool()
		roots.AddCert(ca)
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := chain[0].Verify(opts); err != nil {
			return fmt.Errorf("server's certificate does not verify against the pinned certificate authority %s: %w", want, err)
		}
		return nil
	}
}
