package store

import (
	"bytes"
	"testing"
)

func TestChangeRoundTrip(t *testing.T) {
	tests := []Event{
		{Type: Added, KV: KV{Key: "a", Value: []byte("v"), Rev: 7, CreateRev: 7}},
		{Type: Added, KV: KV{Key: "a", Value: []byte{}, Rev: 7, CreateRev: 7}},
		{Type: Modified, KV: KV{Key: "a/b", Value: []byte("new"), Rev: 9, CreateRev: 7}, PrevValue: []byte("old")},
		{Type: Modified, KV: KV{Key: "a/b", Value: nil, Rev: 9, CreateRev: 7}, PrevValue: []byte{}},
		{Type: Deleted, KV: KV{Key: "x", Value: []byte("last"), Rev: 1 << 40, CreateRev: 3}, PrevValue: []byte("last")},
	}
	for _, want := range tests {
		t.Run(want.Type.String(), func(t *testing.T) {
			key := logKey(want.KV.Rev, want.KV.Key)
			rev, k, err := parseLogKey(key)
			if err != nil || rev != want.KV.Rev || k != want.KV.Key {
				t.Fatalf("parseLogKey = %d %q %v", rev, k, err)
			}
			got, err := decodeChange(rev, k, encodeChange(&want))
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != want.Type || !kvEqual(got.KV, want.KV) || !bytes.Equal(got.PrevValue, want.PrevValue) ||
				(want.Type == Added) != (got.PrevValue == nil) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

// FuzzDecode: decoding arbitrary bytes returns an error or a value, never panics.
func FuzzDecode(f *testing.F) {
	f.Add(encodeChange(&Event{Type: Modified, KV: KV{Value: []byte("v"), CreateRev: 3}, PrevValue: []byte("p")}))
	f.Add([]byte{2, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeChange(1, "k", b)
		_, _ = decodeObject("k", b)
		_, _, _ = parseLogKey(b)
		_, _ = decodeInt(b)
	})
}
