package control

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/pki"
)

// secrets are what the first start makes in the data dir and every later start reads back:
//
//	DATA/pki/ca.crt, ca.key   the certificate authority
//	DATA/tokens/admin         the admin token
//	DATA/tokens/join          the join secret, which node agents present
//	DATA/tokens/gossip.key    the gossip key: 32 bytes in standard base64
type secrets struct {
	ca        *pki.CA
	admin     string
	join      string
	gossipKey []byte
}

const gossipKeyBytes = 32

func loadSecrets(dataDir string) (secrets, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return secrets{}, fmt.Errorf("make data dir: %w", err)
	}
	var s secrets
	var err error
	tokens := filepath.Join(dataDir, "tokens")
	if s.admin, err = loadOrMakeToken(filepath.Join(tokens, "admin")); err != nil {
		return secrets{}, err
	}
	if s.join, err = loadOrMakeToken(filepath.Join(tokens, "join")); err != nil {
		return secrets{}, err
	}
	if err := client.CheckJoinSecret(s.join); err != nil {
		return secrets{}, fmt.Errorf("join secret in %s: %w", filepath.Join(tokens, "join"), err)
	}
	if s.gossipKey, err = loadOrMakeGossipKey(filepath.Join(tokens, "gossip.key")); err != nil {
		return secrets{}, err
	}
	if s.ca, err = pki.LoadOrCreateCA(filepath.Join(dataDir, "pki")); err != nil {
		return secrets{}, err
	}
	return s, nil
}

// loadOrMakeToken reads a token file, writing a new random token first if there is none.
func loadOrMakeToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
	}
	raw, err := randomBytes(24)
	if err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw)
	if err := writeSecret(path, tok); err != nil {
		return "", fmt.Errorf("write token: %w", err)
	}
	return tok, nil
}

// loadOrMakeGossipKey reads the gossip key, writing a new random one first if there is none. A key
// that is there but not 32 bytes of base64 is an error, not replaced: the nodes share it.
func loadOrMakeGossipKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != gossipKeyBytes {
			return nil, fmt.Errorf("gossip key %s: want %d bytes in base64", path, gossipKeyBytes)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read gossip key: %w", err)
	}
	key, err := randomBytes(gossipKeyBytes)
	if err != nil {
		return nil, err
	}
	if err := writeSecret(path, base64.StdEncoding.EncodeToString(key)); err != nil {
		return nil, fmt.Errorf("write gossip key: %w", err)
	}
	return key, nil
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

// writeSecret writes one line to a file only its owner reads, making its folder as needed.
func writeSecret(path, line string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(line+"\n"), 0o600)
}
