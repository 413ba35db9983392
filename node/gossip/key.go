package gossip

import (
	"crypto/rand"
	"fmt"
)

// KeySize is the size of the cluster's gossip key: an AES-256 key.
const KeySize = 32

// GenerateKey returns a new random gossip key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate gossip key: %w", err)
	}
	return key, nil
}

func checkKey(key []byte) error {
	if len(key) != KeySize {
		return fmt.Errorf("gossip key: must be %d bytes, got %d", KeySize, len(key))
	}
	return nil
}
