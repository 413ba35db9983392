package client

import (
	"bytes"
	"strings"
	"testing"
)

const (
	testHash   = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testKey    = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" // bytes 0..31
	testSecret = "0123456789abcdef0123456789abcdef0123456789abcdef"
)

func TestJoinTokenRoundTrip(t *testing.T) {
	s := "wk1." + testHash + "." + testKey + "." + testSecret
	tok, err := ParseJoinToken(" " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if tok.CAHash != "sha256:"+testHash || len(tok.GossipKey) != 32 || tok.GossipKey[31] != 31 || tok.Secret != testSecret {
		t.Fatalf("parsed %+v", tok)
	}
	if tok.String() != s {
		t.Errorf("String() = %s, want %s", tok.String(), s)
	}
	upper, err := ParseJoinToken("wk1." + strings.ToUpper(testHash) + "." + testKey + "." + testSecret)
	if err != nil || upper.CAHash != tok.CAHash {
		t.Errorf("uppercase hash: %+v, %v", upper, err)
	}
}

func TestParseJoinTokenErrors(t *testing.T) {
	tests := []struct{ name, token, want string }{
		{"empty", "", `join token: must start with "wk1."`},
		{"another version", "wk2." + testHash + "." + testKey + "." + testSecret, `must start with "wk1."`},
		{"bare secret", testSecret, `must start with "wk1."`},
		{"three parts", "wk1." + testHash + "." + testKey, "want 4 parts separated by dots (wk1.CAHASH.GOSSIPKEY.SECRET), got 3"},
		{"dot in secret", "wk1." + testHash + "." + testKey + "." + testSecret + ".x", "got 5"},
		{"short hash", "wk1." + testHash[1:] + "." + testKey + "." + testSecret, "join token: the CA hash must be 64 hex digits"},
		{"hash not hex", "wk1." + "g" + testHash[1:] + "." + testKey + "." + testSecret, "the CA hash must be 64 hex digits"},
		{"hash with prefix", "wk1.sha256:" + testHash + "." + testKey + "." + testSecret, "the CA hash must be 64 hex digits"},
		{"short key", "wk1." + testHash + "." + testKey[:42] + "." + testSecret, "join token: the gossip key must be 32 bytes in unpadded base64url (43 characters)"},
		{"padded key", "wk1." + testHash + "." + testKey + "=." + testSecret, "the gossip key must be 32 bytes"},
		{"std base64 key", "wk1." + testHash + "." + strings.Repeat("+", 43) + "." + testSecret, "the gossip key must be 32 bytes"},
		{"short secret", "wk1." + testHash + "." + testKey + ".abc", "join token: the secret must be 16 to 128 characters, not 3"},
		{"secret with space", "wk1." + testHash + "." + testKey + "." + testSecret + " x", "the secret may hold only letters, digits, '-' and '_'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJoinToken(tt.token)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

// FuzzParseJoinToken: a token that parses prints to a form that parses to the same token; a token
// that does not parse gives nothing but the error.
func FuzzParseJoinToken(f *testing.F) {
	f.Add("wk1." + testHash + "." + testKey + "." + testSecret)
	f.Add("wk1." + strings.ToUpper(testHash) + "." + testKey + "." + testSecret)
	f.Add("wk1...")
	f.Add("wk1." + testHash + "." + testKey + "=." + testSecret)
	f.Add(testSecret)
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseJoinToken(s)
		if err != nil {
			if tok.Secret != "" || tok.CAHash != "" || tok.GossipKey != nil {
				t.Fatalf("an error with a token: %+v", tok)
			}
			return
		}
		again, err := ParseJoinToken(tok.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String() %q does not: %v", s, tok.String(), err)
		}
		if again.CAHash != tok.CAHash || !bytes.Equal(again.GossipKey, tok.GossipKey) || again.Secret != tok.Secret {
			t.Fatalf("round trip changed the token: %+v, then %+v", tok, again)
		}
		if again.String() != tok.String() {
			t.Fatalf("String() is not stable: %q, then %q", tok.String(), again.String())
		}
	})
}
