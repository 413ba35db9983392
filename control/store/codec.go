package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Keys and record layouts; see the package documentation.
const (
	metaFormatKey    = "m/format"
	metaRevKey       = "m/rev"
	metaCompactedKey = "m/compacted"
	objPrefix        = "o/"
	logPrefix        = "l/"

	formatVersion = 1
	objHeaderLen  = 16
	revLen        = 8
)

var errCorrupt = errors.New("corrupt record")

func objKey(key string) []byte {
	b := make([]byte, 0, len(objPrefix)+len(key))
	return append(append(b, objPrefix...), key...)
}

// logSeekKey is the first possible change-log key of revision rev.
func logSeekKey(rev int64) []byte {
	b := make([]byte, 0, len(logPrefix)+revLen)
	return binary.BigEndian.AppendUint64(append(b, logPrefix...), uint64(rev))
}

func logKey(rev int64, key string) []byte {
	b := make([]byte, 0, len(logPrefix)+revLen+len(key))
	b = binary.BigEndian.AppendUint64(append(b, logPrefix...), uint64(rev))
	return append(b, key...)
}

func parseLogKey(b []byte) (int64, string, error) {
	if len(b) < len(logPrefix)+revLen || string(b[:len(logPrefix)]) != logPrefix {
		return 0, "", fmt.Errorf("change-log key %q: %w", b, errCorrupt)
	}
	rev := int64(binary.BigEndian.Uint64(b[len(logPrefix):]))
	return rev, string(b[len(logPrefix)+revLen:]), nil
}

func encodeInt(v int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(v))
}

func decodeInt(b []byte) (int64, error) {
	if len(b) != revLen {
		return 0, fmt.Errorf("integer of %d bytes: %w", len(b), errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func encodeObject(kv KV) []byte {
	b := make([]byte, 0, objHeaderLen+len(kv.Value))
	b = binary.BigEndian.AppendUint64(b, uint64(kv.CreateRev))
	b = binary.BigEndian.AppendUint64(b, uint64(kv.Rev))
	return append(b, kv.Value...)
}

// decodeObject keeps b: the returned Value aliases it.
func decodeObject(key string, b []byte) (KV, error) {
	if len(b) < objHeaderLen {
		return KV{}, fmt.Errorf("object %q: %w", key, errCorrupt)
	}
	return KV{
		Key:       key,
		Value:     b[objHeaderLen:],
		CreateRev: int64(binary.BigEndian.Uint64(b)),
		Rev:       int64(binary.BigEndian.Uint64(b[8:])),
	}, nil
}

// changeSizeBound is an upper bound of len(encodeChange(ev)).
func changeSizeBound(ev *Event) int {
	return 1 + 2*binary.MaxVarintLen64 + len(ev.KV.Value) + len(ev.PrevValue)
}

func encodeChange(ev *Event) []byte {
	b := make([]byte, 0, changeSizeBound(ev))
	b = append(b, byte(ev.Type))
	b = binary.AppendUvarint(b, uint64(ev.KV.CreateRev))
	b = binary.AppendUvarint(b, uint64(len(ev.KV.Value)))
	b = append(b, ev.KV.Value...)
	if ev.Type == Modified {
		b = append(b, ev.PrevValue...)
	}
	return b
}

// decodeChange keeps b: the returned values alias it.
func decodeChange(rev int64, key string, b []byte) (Event, error) {
	bad := fmt.Errorf("change record %d: %w", rev, errCorrupt)
	if len(b) < 1 {
		return Event{}, bad
	}
	ev := Event{Type: EventType(b[0]), KV: KV{Key: key, Rev: rev}}
	b = b[1:]
	createRev, n := binary.Uvarint(b)
	if n <= 0 {
		return Event{}, bad
	}
	b = b[n:]
	vlen, n := binary.Uvarint(b)
	if n <= 0 || vlen > uint64(len(b)-n) {
		return Event{}, bad
	}
	b = b[n:]
	ev.KV.CreateRev = int64(createRev)
	ev.KV.Value = b[:vlen:vlen]
	rest := b[vlen:]
	switch ev.Type {
	case Added:
	case Modified:
		ev.PrevValue = rest
	case Deleted:
		ev.PrevValue = ev.KV.Value
	default:
		return Event{}, bad
	}
	if ev.Type != Modified && len(rest) != 0 {
		return Event{}, bad
	}
	return ev, nil
}
