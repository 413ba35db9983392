package client

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// JoinToken is what an agent needs to join a cluster. Its one-line form is
//
//	wk1.<CA hash>.<gossip key>.<secret>
//
// with these parts:
//
//   - "wk1": the format's version.
//   - CA hash: the 64 lowercase hex digits of the SHA-256 of the cluster CA certificate's DER. The
//     agent trusts the API server whose chain holds that CA, as kubeadm's discovery token hash.
//   - gossip key: the 32-byte key that encrypts gossip, in unpadded base64url (43 characters).
//   - secret: the bearer token agents present to the API server, 16 to 128 characters, each a
//     letter, a digit, '-' or '_'.
//
// The parts are separated by dots, which none of them contains. The CA hash is lowercase in the
// form; ParseJoinToken accepts uppercase too.
type JoinToken struct {
	CAHash    string // "sha256:" and 64 hex digits, as Config.CAHash
	GossipKey []byte // 32 bytes
	Secret    string
}

const (
	joinTokenVersion = "wk1"
	gossipKeyBytes   = 32
	minSecret        = 16
	maxSecret        = 128
)

// String is the token in its one-line form.
func (t JoinToken) String() string {
	return joinTokenVersion + "." + strings.TrimPrefix(t.CAHash, caHashPrefix) + "." +
		base64.RawURLEncoding.EncodeToString(t.GossipKey) + "." + t.Secret
}

// ParseJoinToken parses a token's one-line form; surrounding white space is ignored. Its errors
// name the part that is wrong and never quote the secret.
func ParseJoinToken(s string) (JoinToken, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if parts[0] != joinTokenVersion {
		return JoinToken{}, fmt.Errorf("join token: must start with %q", joinTokenVersion+".")
	}
	if len(parts) != 4 {
		return JoinToken{}, fmt.Errorf("join token: want 4 parts separated by dots (wk1.CAHASH.GOSSIPKEY.SECRET), got %d", len(parts))
	}
	hash, err := parseHexHash(parts[1])
	if err != nil {
		return JoinToken{}, fmt.Errorf("join token: %w", err)
	}
	key, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(key) != gossipKeyBytes {
		return JoinToken{}, fmt.Errorf("join token: the gossip key must be %d bytes in unpadded base64url (%d characters)", gossipKeyBytes, base64.RawURLEncoding.EncodedLen(gossipKeyBytes))
	}
	if err := CheckJoinSecret(parts[3]); err != nil {
		return JoinToken{}, fmt.Errorf("join token: %w", err)
	}
	return JoinToken{CAHash: caHashPrefix + hash, GossipKey: key, Secret: parts[3]}, nil
}

// CheckJoinSecret says whether s may be a join token's secret.
func CheckJoinSecret(s string) error {
	if len(s) < minSecret || len(s) > maxSecret {
		return fmt.Errorf("the secret must be %d to %d characters, not %d", minSecret, maxSecret, len(s))
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("the secret may hold only letters, digits, '-' and '_'")
		}
	}
	return nil
}

// parseHexHash checks 64 hex digits and returns them in lowercase.
func parseHexHash(s string) (string, error) {
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return "", fmt.Errorf("the CA hash must be 64 hex digits")
	}
	return strings.ToLower(s), nil
}
