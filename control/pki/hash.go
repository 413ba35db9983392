package pki

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
)

// HashPrefix starts every certificate hash.
const HashPrefix = "sha256:"

// HashOf is "sha256:" and the hex SHA-256 of cert's DER.
func HashOf(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return HashPrefix + hex.EncodeToString(sum[:])
}

// HashOfPEM is HashOf the first certificate in a PEM bundle.
func HashOfPEM(certPEM []byte) (string, error) {
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return "", err
	}
	return HashOf(cert), nil
}

// parseCertPEM parses the first CERTIFICATE block of a PEM bundle.
func parseCertPEM(b []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("no PEM certificate")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}
