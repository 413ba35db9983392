package gossip

import (
	"encoding/json"
	"fmt"
)

// MetaMaxSize is the most a Meta may take once encoded (memberlist's limit on node metadata).
const MetaMaxSize = 512

// Meta is what a member tells the others about itself. It travels as JSON in memberlist's node
// metadata, so it must stay under MetaMaxSize bytes once encoded.
type Meta struct {
	Server   bool     `json:"server,omitempty"`   // runs the control plane
	API      string   `json:"api,omitempty"`      // the API server's URL, for servers: "https://10.0.0.1:6443"
	Node     string   `json:"node,omitempty"`     // the Node this member runs an agent for ("" for a server without agent)
	Tunnel   string   `json:"tunnel,omitempty"`   // node-to-node tunnel address
	Version  string   `json:"version,omitempty"`  // wk's version
	Runtimes []string `json:"runtimes,omitempty"` // "wasm", "runc"
}

// Member is one member of the gossip cluster as this member sees it.
type Member struct {
	Name string // unique member name
	Addr string // host:port of its gossip endpoint
	Meta Meta
}

// encodeMeta returns m as it travels, or an error if it is too large.
func encodeMeta(m Meta) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("gossip meta: %w", err)
	}
	if len(b) > MetaMaxSize {
		return nil, fmt.Errorf("gossip meta: encodes to %d bytes, limit %d", len(b), MetaMaxSize)
	}
	return b, nil
}

// decodeMeta reads metadata sent by another member. Metadata that does not decode (a member of
// another version, or none at all) reads as the zero Meta: the member is still a member.
func decodeMeta(b []byte) Meta {
	var m Meta
	if len(b) > 0 {
		_ = json.Unmarshal(b, &m)
	}
	return m
}
